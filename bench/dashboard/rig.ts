// The live system bench/dashboard/render.ts draws: four emulated shards, two proxy replicas
// (pods front-proxy-0 and -1) with every authenticator a deployment has, and traffic that
// exercises every panel of the dashboard — requests of every kind and outcome, held watches,
// exec-style tunnels, workspace churn, and faults on a timeline: a shard down, a shard whose
// serving certificate the proxy does not trust, and a history compaction that forces relists.
import { request as httpsRequest, Agent, type RequestOptions } from 'node:https'
import { createServer as createHttpsServer } from 'node:https'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { startTopology, type Topology } from '../../src/emulator/index.js'
import { caFromPair, createCA, issueLoopbackServerCert } from '../../src/pki/index.js'
import { createFrontProxy, type FrontProxy } from '../../src/server/index.js'

export interface Rig {
  topology: Topology
  proxies: { pod: string; proxy: FrontProxy; metricsURL: string }[]
  close(): Promise<void>
}

const TREE: [parent: string, name: string, shard: string][] = [
  ['root', 'org', 'alpha'], ['root:org', 'team-a', 'beta'], ['root:org', 'team-b', 'alpha'],
  ['root', 'shop', 'beta'], ['root:shop', 'checkout', 'root'], ['root', 'lab', 'gamma'],
]
export const WORKSPACES = TREE.map(([p, n]) => `${p}:${n}`)

export async function startRig(dir: string): Promise<Rig> {
  const topology = await startTopology({ shards: ['root', 'alpha', 'beta', 'gamma'] })
  const closers: (() => Promise<void> | void)[] = [() => topology.close()]
  try {
    for (const [parent, name, shard] of TREE) await topology.createWorkspace(parent, name, { shard })
    // Enough workspaces that the per-shard index gauge has something to show.
    topology.seedWorkspaces('root:org', Array.from({ length: 36 }, (_, i) => `seeded-${i}`))
    const files = await topology.writeFiles(dir)

    // The emulator has no pods to exec into: a stand-in backend accepts upgrades as a kubelet
    // would, behind its own mapping, so tunnels open through the proxy and stay open.
    const serving = await issueLoopbackServerCert(caFromPair(topology.pki.servingCA))
    const tunnelBackend = createHttpsServer({ cert: serving.cert, key: serving.key }, (_req, res) => res.writeHead(404).end())
    tunnelBackend.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n')
      socket.on('data', (c: Buffer) => socket.write(c))
      socket.on('error', () => socket.destroy())
    })
    await new Promise<void>((r) => tunnelBackend.listen(0, '127.0.0.1', r))
    closers.push(() => new Promise<void>((r) => { tunnelBackend.closeAllConnections(); tunnelBackend.close(() => r()) }))
    const port = (tunnelBackend.address() as { port: number }).port
    const entry = (path: string, backend: string): object => ({ path, backend, backend_server_ca: files.caCert, proxy_client_cert: files.proxyClientCert, proxy_client_key: files.proxyClientKey })
    const root = topology.shards.get('root')?.baseURL ?? ''
    await writeFile(files.mappingYaml, stringify([entry('/clusters/', root), entry('/services/', root), entry('/exec/', `https://127.0.0.1:${port}`)]))

    const proxyCert = await issueLoopbackServerCert(caFromPair(topology.pki.servingCA), 'kcp-front-proxy')
    await writeFile(join(dir, 'fp.crt'), proxyCert.cert)
    await writeFile(join(dir, 'fp.key'), proxyCert.key)
    const proxies: Rig['proxies'] = []
    for (const pod of ['front-proxy-0', 'front-proxy-1']) {
      const proxy = await createFrontProxy({
        secureServing: { tlsCertFile: join(dir, 'fp.crt'), tlsPrivateKeyFile: join(dir, 'fp.key') },
        proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
        authentication: {
          clientCAFile: files.clientCACert, tokenAuthFile: files.tokenCsv, requestheaderClientCAFile: files.requestHeaderCACert,
          requestheaderUsernameHeaders: ['X-Remote-User'], requestheaderGroupHeaders: ['X-Remote-Group'], requestheaderAllowedNames: ['kcp-front-proxy'],
        },
        extra: { metricsBindAddress: '127.0.0.1:0', shardSyncTimeoutSeconds: 5 },
      })
      closers.push(() => proxy.close())
      proxies.push({ pod, proxy, metricsURL: proxy.metricsURL ?? '' })
    }
    return { topology, proxies, close: async () => { for (const c of closers.reverse()) await c() } }
  } catch (e) {
    for (const c of closers.reverse()) await c()
    throw e
  }
}

interface Identity { cert?: string; key?: string; token?: string }

/** Drives traffic until `until` (ms epoch); faults follow `plan` (seconds after start). Bounded by time. */
export async function runTraffic(rig: Rig, o: { startedAt: number; until: number; log: (s: string) => void }): Promise<void> {
  const { topology, proxies } = rig
  const ca = topology.pki.servingCA.cert
  const agent = new Agent({ keepAlive: true, maxSockets: 8, ca })
  const admin: Identity = { cert: topology.pki.admin.cert, key: topology.pki.admin.key }
  const user: Identity = { token: 'user-token' }
  const bob: Identity = { token: 'bob-token' }
  const forged: Identity = { token: 'not-a-token' }
  const at = (): number => (Date.now() - o.startedAt) / 1000
  let n = 0

  const send = (proxy: FrontProxy, method: string, path: string, id: Identity, body?: string): Promise<number> => new Promise((resolve) => {
    const opts: RequestOptions = {
      // One keep-alive pool per identity: the agent keys its connections by certificate too.
      method, agent, ca, timeout: 10_000,
      ...(id.cert !== undefined ? { cert: id.cert, key: id.key } : {}),
      headers: { ...(id.token !== undefined ? { authorization: `Bearer ${id.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    }
    const req = httpsRequest(`${proxy.url}${path}`, opts, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('error', () => resolve(0))
    req.on('timeout', () => req.destroy())
    req.end(body)
  })

  // Held watches and tunnels, topped up to a target that changes over time.
  const watches = new Set<IncomingMessage>()
  const tunnels = new Set<TLSSocket>()
  const openWatch = (proxy: FrontProxy): void => {
    const ws = WORKSPACES[n++ % WORKSPACES.length]
    const req = httpsRequest(`${proxy.url}/clusters/${ws}/api/v1/namespaces/default/configmaps?watch=true`, { ca, cert: admin.cert, key: admin.key }, (res) => {
      watches.add(res)
      res.resume()
      res.on('close', () => watches.delete(res))
    })
    req.on('error', () => undefined)
    req.end()
  }
  const openTunnel = (proxy: FrontProxy): void => {
    const u = new URL(proxy.url)
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca, cert: admin.cert, key: admin.key, ALPNProtocols: ['http/1.1'] }, () => {
      s.write(`POST /exec/pods/p${n++}/exec HTTP/1.1\r\nHost: ${u.host}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nContent-Length: 0\r\n\r\n`)
    })
    tunnels.add(s)
    s.on('data', () => undefined)
    s.on('error', () => undefined)
    s.on('close', () => tunnels.delete(s))
  }
  const target = (phases: [from: number, count: number][]): number => phases.filter(([from]) => at() >= from).at(-1)?.[1] ?? 0

  // Kept before the fault below changes it: the shard's published baseURL follows setShardBaseURL().
  const gammaURL = topology.shards.get('gamma')?.baseURL ?? ''
  const faults: [second: number, what: string, act: () => void | Promise<void>][] = [
    [50, 'shard beta stops', () => topology.shards.get('beta')?.stop()],
    [68, 'shard beta starts again', () => topology.shards.get('beta')?.start()],
    [85, 'shard gamma moves to a server whose certificate the proxy does not trust', async () => {
      const rogue = await issueLoopbackServerCert(await createCA('not the shards\' CA'))
      const server = createHttpsServer({ cert: rogue.cert, key: rogue.key }, (_q, s) => s.end())
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      rogueServer = server
      await topology.setShardBaseURL('gamma', `https://127.0.0.1:${(server.address() as { port: number }).port}`)
    }],
    [100, 'shard alpha compacts its history and drops its watches: relists', () => { topology.shards.get('alpha')?.compact(); topology.shards.get('alpha')?.dropWatches() }],
    [115, 'shard gamma is back on its own URL', () => topology.setShardBaseURL('gamma', gammaURL)],
  ]
  let rogueServer: ReturnType<typeof createHttpsServer> | undefined
  let churn = 0
  const pending = new Set<Promise<unknown>>()
  const track = (p: Promise<unknown>): void => { pending.add(p); void p.finally(() => pending.delete(p)) }

  for (let tick = 0; Date.now() < o.until && tick < 100_000; tick++) {
    const s = at()
    while (faults.length > 0 && faults[0][0] <= s) {
      const [, what, act] = faults.shift() as (typeof faults)[number]
      o.log(`${s.toFixed(0).padStart(4)} s  ${what}`)
      await act()
    }
    const proxy = proxies[tick % proxies.length].proxy
    const ws = WORKSPACES[tick % WORKSPACES.length]
    const r = tick % 20
    const base = `/clusters/${ws}/api/v1/namespaces/default/configmaps`
    if (r < 8) track(send(proxy, 'GET', base, admin))
    else if (r < 12) track(send(proxy, 'GET', base, user))
    else if (r < 14) track(send(proxy, 'POST', base, admin, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${tick}` }, data: { k: 'x'.repeat(200 + (tick % 800)) } })))
    else if (r === 14) track(send(proxy, 'DELETE', `${base}/cm-${tick - 2}`, admin))
    else if (r === 15) track(send(proxy, 'GET', `/clusters/root:nope-${tick}/api`, user))
    else if (r === 16) track(send(proxy, 'GET', base, bob))
    else if (r === 17) track(send(proxy, 'GET', base, forged))
    else track(send(proxy, 'GET', `/clusters/${ws}/api/v1/namespaces`, admin))

    if (tick % 10 === 0) {
      // Workspace churn: the index follows creates and deletes on every shard (propagation lag).
      const name = `churn-${churn++}`
      track(topology.createWorkspace('root:shop', name, { shard: ['alpha', 'beta', 'root'][churn % 3] }).then(() => (churn % 2 === 0 ? topology.deleteWorkspace(`root:shop:${name}`) : undefined)).catch(() => undefined))
      const wantWatches = target([[0, 6], [15, 16], [35, 28], [125, 10]])
      // Long-lived connections are never spread evenly over replicas: a third land on pod 0.
      const replica = (k: number): FrontProxy => proxies[k % 3 === 0 ? 0 : 1].proxy
      for (let k = watches.size; k < wantWatches; k++) openWatch(replica(k))
      for (const w of [...watches].slice(wantWatches)) w.destroy()
      const wantTunnels = target([[10, 2], [40, 5], [90, 8], [130, 3]])
      for (let k = tunnels.size; k < wantTunnels; k++) openTunnel(replica(k))
      for (const x of [...tunnels].slice(wantTunnels)) x.destroy()
    }
    await new Promise((resolve) => setTimeout(resolve, 40))
  }
  for (const w of watches) w.destroy()
  for (const x of tunnels) x.destroy()
  await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 15_000))])
  agent.destroy()
  if (rogueServer !== undefined) {
    rogueServer.closeAllConnections()
    await new Promise<void>((r) => rogueServer?.close(() => r()))
  }
}
