// startFrontProxy() routing, and createFrontProxy()'s own behaviour over real sockets: a failed
// start cleans up after itself (nothing listens, nothing keeps the process alive), the promise
// resolves only once the index is ready, and shutdown stops accepting, ends watches (the
// client's and the controller's own), then resolves; closing twice is harmless.
import t, { type Test } from 'tap'
import { request } from 'node:https'
import { spawn } from 'node:child_process'
import { createServer, connect, type AddressInfo, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFrontProxy } from '../../src/server/index.js'
import { startBackend, startProxy, twoShardIndex } from '../proxy/fixtures/env.js'
import { h1 } from '../proxy/fixtures/client.js'
import { eventually } from '../fixtures/eventually.js'
import { proxyTopology, type ProxyTopology } from './fixtures/topology.js'

function get(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

/** A port that was free a moment ago (listen on 0, note the port, close). */
async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/** Occupies a loopback port until the test ends. */
async function occupy(t: Test): Promise<number> {
  const s: Server = createServer((c) => c.destroy())
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => s.close(() => r())))
  return (s.address() as AddressInfo).port
}

const input = (p: ProxyTopology, more: { securePort?: number; metricsBindAddress?: string } = {}) => ({
  proxy: { mappingFile: p.files.mappingYaml, rootKubeconfig: p.files.rootKubeconfig, shardsKubeconfig: p.files.shardsKubeconfig },
  secureServing: { bindAddress: '127.0.0.1', securePort: more.securePort ?? 0, tlsCertFile: p.tlsCertFile, tlsPrivateKeyFile: p.tlsPrivateKeyFile },
  authentication: { clientCAFile: p.files.clientCACert },
  ...(more.metricsBindAddress !== undefined ? { extra: { metricsBindAddress: more.metricsBindAddress } } : {}),
})

// Three cases start a child that compiles TypeScript on start (seconds each on a loaded machine).
t.setTimeout(300_000)

const CHILD = fileURLToPath(new URL('./fixtures/create-front-proxy-child.ts', import.meta.url))
/** Bound on a child's natural exit; a leaked handle keeps it alive past this and fails the test. */
const EXIT_WITHIN_MS = 30_000

/** Runs createFrontProxy(input) in a child process; resolves with its output and how it ended. */
function inChild(t: Test, json: unknown): Promise<{ out: string; code: number | null; exitedByItself: boolean }> {
  const child = spawn(process.execPath, [...process.execArgv, CHILD, JSON.stringify(json)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ out, code, exitedByItself: signal === null })
    })
  })
}

t.test('a workspace request is routed to the shard of its logical cluster', async (t) => {
  const root = await startBackend(t)
  const alpha = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, alpha.url) })
  const r = await get(`${env.proxy.url}/clusters/root:org/api/v1/namespaces?limit=5`, env.ca)
  t.equal(r.status, 200)
  const seen = JSON.parse(r.body)
  t.equal(seen.url, '/clusters/orgcluster/api/v1/namespaces?limit=5')
  t.equal(seen.clientCN, 'kcp-front-proxy')
  t.equal(alpha.seen.length, 1)
  t.equal(root.seen.length, 0)
})

t.test('createFrontProxy with invalid options rejects before starting anything: the process exits by itself', async (t) => {
  const r = await inChild(t, { proxy: {}, secureServing: { tlsCertFile: '/nonexistent.crt' } })
  t.match(r.out, /^rejected InvalidOptionsError: .*--mapping-file is required/m)
  t.ok(r.exitedByItself, `exited within ${EXIT_WITHIN_MS} ms with nothing left running`)
  t.equal(r.code, 0)
})

t.test('createFrontProxy on a secure port in use rejects and stops what it had started: the process exits by itself', async (t) => {
  const p = await proxyTopology(t)
  const busy = await occupy(t)
  const r = await inChild(t, input(p, { securePort: busy }))
  t.match(r.out, /^rejected EADDRINUSE: /m, 'the bind failure is the rejection')
  t.ok(r.exitedByItself, `exited within ${EXIT_WITHIN_MS} ms with nothing left running`, { output: r.out })
  await eventually('no watch left open at the shards', () => [...p.topo.shards.values()].every((s) => s.stats.openWatches === 0))
})

// startServer opens the plain metrics listener before the secure one: a failed secure bind
// must close it too, or the process never exits (`still running: ... TCPServerWrap`).
t.test('createFrontProxy on a secure port in use also closes the metrics listener it had opened', async (t) => {
  const p = await proxyTopology(t)
  const busy = await occupy(t)
  const metricsPort = await freePort()
  const r = await inChild(t, input(p, { securePort: busy, metricsBindAddress: `127.0.0.1:${metricsPort}` }))
  t.match(r.out, /^rejected EADDRINUSE: /m, 'the bind failure is the rejection')
  t.ok(r.exitedByItself, `exited within ${EXIT_WITHIN_MS} ms with nothing left running`, { output: r.out })
  t.equal(await listening(metricsPort), false, 'the metrics port is closed')
})

t.test('createFrontProxy with an unreachable root shard waits, and its signal gives up the start: it rejects with the reason and the process exits by itself', async (t) => {
  const p = await proxyTopology(t)
  const closed = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'kfp-unreachable-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const rootKubeconfig = join(dir, 'root.kubeconfig')
  const original = readFileSync(p.files.rootKubeconfig, 'utf8')
  writeFileSync(rootKubeconfig, original.replace(/server: https:\/\/127\.0\.0\.1:\d+/g, `server: https://127.0.0.1:${closed}`))
  t.not(readFileSync(rootKubeconfig, 'utf8'), original, 'the root kubeconfig now points at a closed port')
  const r = await inChild(t, { ...input(p), proxy: { ...input(p).proxy, rootKubeconfig }, abortAfterMs: 1500 })
  t.match(r.out, /^rejected \S+: The operation was aborted due to timeout/m, 'the signal\'s reason (AbortSignal.timeout: a TimeoutError) is the rejection')
  const took = Number(/^settled after (\d+) ms/m.exec(r.out)?.[1])
  t.ok(took >= 1400, `it waited for the root shard until the signal (${took} ms)`)
  t.ok(r.exitedByItself, `exited within ${EXIT_WITHIN_MS} ms with nothing left running (no retry timer, no socket)`, { output: r.out })
})

t.test('createFrontProxy resolves only once the index is ready, and the port stays closed until then', async (t) => {
  const p = await proxyTopology(t)
  // Slow shards make the start take seconds, so the port can be probed while it is under way.
  for (const s of p.topo.shards.values()) s.setLatency(300)
  const port = await freePort()
  let settled = false
  const starting = createFrontProxy(input(p, { securePort: port })).finally(() => (settled = true))
  const openEarly = await listening(port)
  t.equal(settled, false, 'still starting when probed')
  t.equal(openEarly, false, 'nothing listens before the index is ready')
  const proxy = await starting
  t.teardown(() => proxy.close())
  for (const s of p.topo.shards.values()) s.setLatency(0)
  t.equal(proxy.index.lookup('root:org')?.shard, 'alpha', 'the workspace is routable the moment it resolves')
  t.equal((await h1(`${proxy.url}/readyz`, p.ca)).status, 200, 'and /readyz says ready on the first request')
})

t.test('createFrontProxy shutdown stops accepting, ends the client\'s and the controller\'s watches, then resolves; a second close is harmless', async (t) => {
  const p = await proxyTopology(t)
  const proxy = await createFrontProxy(input(p))
  const alpha = p.topo.shards.get('alpha')!
  const ownWatches = alpha.stats.openWatches
  t.ok(ownWatches > 0, 'the controller watches the shard')
  let watchEnded = false
  let watchBody = ''
  const req = request(`${proxy.url}/clusters/root:org/api/v1/configmaps?watch=true`, { ca: p.ca, cert: p.admin.cert, key: p.admin.key, agent: false }, (res) => {
    res.setEncoding('utf8')
    res.on('data', (c: string) => (watchBody += c))
    res.on('end', () => (watchEnded = true))
    res.on('error', () => (watchEnded = true))
  })
  req.on('error', () => (watchEnded = true))
  req.end()
  await eventually('the client\'s watch open at the shard', () => alpha.stats.openWatches === ownWatches + 1)

  const first = proxy.close()
  const second = proxy.close()
  t.equal(second, first, 'a second close joins the first shutdown')
  await first
  t.ok(watchEnded, 'the client\'s watch ended before shutdown resolved')
  t.notOk(await listening(proxy.port), 'the port is closed')
  await eventually('every watch closed at the shards', () => [...p.topo.shards.values()].every((s) => s.stats.openWatches === 0), { timeoutMs: 5000 })
  await proxy.close()
  t.pass('closing again after shutdown resolves')
  t.equal(watchBody.includes('ERROR'), false, 'the watch ended cleanly, not with an error event')
})
