// Demo mode (`kcp-front-proxy` with no flags, `npm start`): an emulated kcp with three
// shards, the front-proxy in front of it with client-certificate, token and requestheader
// authentication as a real deployment has, a small workspace tree spread over the shards,
// and a kubeconfig plus kubectl commands to try. Everything runs on loopback. Its files
// (private keys among them) live in a temporary directory that closing the demo removes.

import { rmSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { startTopology } from './emulator/index.js'
import type { Topology, TopologyFiles } from './emulator/index.js'
import { caFromPair, issueLoopbackServerCert } from './pki/index.js'
import { createFrontProxy, createLogger, type FrontProxy } from './server/index.js'
import { startWorkspaceAuthDemo, type WorkspaceAuthDemo } from './demo-workspace-auth.js'

/** The port the demo tries first; if it is taken, any free port. */
export const DEMO_PORT = 6443

export interface DemoOptions {
  /** Port for the proxy: a number (0 = free), default DEMO_PORT falling back to a free port. */
  port?: number
  /** Where files go; default a new temporary directory, removed by close(). A given directory is left alone. */
  dir?: string
  /** Proxy logs as JSON lines (pino); default none. */
  logStream?: NodeJS.WritableStream
  /** Proxy logs for a person at a terminal: one line per request (formatRequestText()); default none. Beats logStream. */
  textLog?: NodeJS.WritableStream
}

export interface Demo {
  readonly topology: Topology
  /** A workspace type with its own issuer (demo-workspace-auth.ts). */
  readonly workspaceAuth: WorkspaceAuthDemo & { kubeconfig: string }
  readonly proxy: FrontProxy
  readonly files: TopologyFiles & { proxyKubeconfig: string; servingCert: string; servingKey: string }
  /** Workspace path → shard. */
  readonly workspaces: Record<string, string>
  /** Ready-to-paste kubectl commands with a one-line explanation each. */
  readonly commands: { explain: string; command: string }[]
  /** The text printed by runDemo(). */
  instructions(): string
  close(): Promise<void>
}

/** A static token whose user the emulated root shard lets read /metrics (src/emulator/auth.ts). */
const METRICS_TOKEN = { token: 'metrics-token', user: 'metrics-reader', uid: 'metrics-reader-uid', groups: ['system:kcp:metrics-readers'] }

const tree: [parent: string, name: string, shard: string][] = [
  ['root', 'org', 'alpha'],
  ['root:org', 'team-a', 'beta'],
  ['root:org', 'team-b', 'alpha'],
  ['root', 'shop', 'beta'],
  ['root:shop', 'checkout', 'root'],
]

function demoKubeconfig(base: string, files: TopologyFiles): string {
  const cluster = (name: string, path: string): object => ({ name, cluster: { server: `${base}${path}`, 'certificate-authority': files.caCert } })
  const context = (name: string, clusterName: string, user: string): object => ({ name, context: { cluster: clusterName, user } })
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [cluster('team-a', '/clusters/root:org:team-a'), cluster('org', '/clusters/root:org'), cluster('proxy', '')],
    users: [
      { name: 'admin', user: { 'client-certificate': files.adminCert, 'client-key': files.adminKey } },
      { name: 'bob', user: { token: 'bob-token' } },
      { name: 'metrics-reader', user: { token: METRICS_TOKEN.token } },
    ],
    contexts: [
      context('team-a', 'team-a', 'admin'), context('org', 'org', 'admin'), context('proxy', 'proxy', 'admin'),
      context('bob', 'team-a', 'bob'), context('metrics', 'proxy', 'metrics-reader'),
    ],
    'current-context': 'team-a',
  })
}

function isAddressInUse(e: unknown): boolean {
  return e instanceof Error && ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' || /EADDRINUSE/.test(e.message))
}

/**
 * The emulator's mapping (/clusters/, /services/) plus the default mapping `/` to the root
 * shard, so requests outside any workspace (`kubectl version`, `get --raw /version`) have a
 * target, as the README's mapping example has.
 */
async function addDefaultMapping(file: string): Promise<void> {
  const mappings = parse(await readFile(file, 'utf8')) as Record<string, string>[]
  const clusters = mappings.find((m) => m.path === '/clusters/')
  if (clusters === undefined) throw new Error(`${file}: no /clusters/ mapping to copy`)
  await writeFile(file, stringify([...mappings, { ...clusters, path: '/' }]))
}

export async function startDemo(o: DemoOptions = {}): Promise<Demo> {
  const ownDir = o.dir === undefined
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'kcp-front-proxy-demo-')))
  const removeDir = async (): Promise<void> => { if (ownDir) await rm(dir, { recursive: true, force: true }) }
  let topology: Topology
  let workspaceAuth: WorkspaceAuthDemo | undefined
  try {
    topology = await startTopology({ shards: ['root', 'alpha', 'beta'] })
  } catch (e) {
    await removeDir()
    throw e
  }
  try {
    topology.addToken(METRICS_TOKEN)
    const files = await topology.writeFiles(dir)
    await addDefaultMapping(files.mappingYaml)
    // The proxy's serving certificate comes from the same CA as the shards', so one ca.crt serves kubectl.
    const serving = await issueLoopbackServerCert(caFromPair(topology.pki.servingCA), 'kcp-front-proxy')
    const servingCert = join(dir, 'front-proxy.crt')
    const servingKey = join(dir, 'front-proxy.key')
    await writeFile(servingCert, serving.cert)
    await writeFile(servingKey, serving.key, { mode: 0o600 })

    const workspaces: Record<string, string> = {}
    for (const [parent, name, shard] of tree) {
      const ws = await topology.createWorkspace(parent, name, { shard })
      workspaces[ws.path] = ws.shard
    }
    const partner = (workspaceAuth = await startWorkspaceAuthDemo(topology, dir))

    const start = (securePort: number): Promise<FrontProxy> => createFrontProxy({
      secureServing: { bindAddress: '127.0.0.1', securePort, tlsCertFile: servingCert, tlsPrivateKeyFile: servingKey },
      proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig, rootDirectory: dir },
      authentication: {
        clientCAFile: files.clientCACert,
        tokenAuthFile: files.tokenCsv,
        // Lets re-entering proxies (mounts) pass identities, as in kcp's own sharded test setup.
        requestheaderClientCAFile: files.requestHeaderCACert,
        requestheaderUsernameHeaders: ['X-Remote-User'],
        requestheaderGroupHeaders: ['X-Remote-Group'],
        requestheaderExtraHeadersPrefix: ['X-Remote-Extra-'],
        requestheaderAllowedNames: ['kcp-front-proxy', 'kcp-mounts-proxy'],
      },
      extra: { featureGates: { WorkspaceAuthentication: true } },
      ...(o.textLog ? { logger: createLogger({ v: 2, stream: o.textLog, format: 'text' }) } : o.logStream ? { logStream: o.logStream } : {}),
    })
    let proxy: FrontProxy
    if (o.port !== undefined) proxy = await start(o.port)
    else {
      try {
        proxy = await start(DEMO_PORT)
      } catch (e) {
        if (!isAddressInUse(e)) throw e
        proxy = await start(0)
      }
    }

    const base = `https://127.0.0.1:${proxy.port}`
    // As kcp's --shard-external-url: `kubectl get workspaces` shows URLs through the proxy.
    await topology.setExternalURL(base)
    const proxyKubeconfig = join(dir, 'front-proxy.kubeconfig')
    await writeFile(proxyKubeconfig, demoKubeconfig(base, files), { mode: 0o600 })
    const partnerKubeconfig = await partner.writeKubeconfig(base, files.caCert)
    const k = `kubectl --kubeconfig ${proxyKubeconfig}`
    const commands = [
      { explain: 'namespaces of root:org:team-a (a workspace on shard beta)', command: `${k} get namespaces` },
      { explain: 'create an object there', command: `${k} create configmap hello --from-literal=greeting=hi` },
      { explain: 'and read it back', command: `${k} get configmaps` },
      { explain: 'child workspaces of root:org (shard alpha)', command: `${k} --context org get workspaces` },
      { explain: 'any workspace by path, through one endpoint', command: `${k} --context proxy get --raw /clusters/root:org/version` },
      { explain: 'the server version: no workspace in the path, so the default "/" mapping sends it to the root shard', command: `${k} --context proxy version` },
      { explain: 'who the shard thinks you are (identity forwarded by the proxy)', command: `${k} auth whoami` },
      { explain: 'a user the shard forbids: 403', command: `${k} --context bob get configmaps` },
      { explain: 'an unknown workspace: 403 from the proxy', command: `${k} --context proxy get --raw /clusters/root:nope/api` },
      {
        explain: 'the proxy\'s metrics, as user metrics-reader (the root shard allows it get /metrics)',
        command: `${k} --context metrics get --raw /metrics | grep -E '^(proxy_request_duration_seconds_count|kcp_indexed_logicalclusters)'`,
      },
    ]

    let closed: Promise<void> | undefined
    const demo: Demo = {
      topology,
      workspaceAuth: Object.assign(partner, { kubeconfig: partnerKubeconfig }),
      proxy,
      files: { ...files, proxyKubeconfig, servingCert, servingKey },
      workspaces,
      commands,
      instructions: () => [
        `kcp-front-proxy demo: an emulated kcp (shards root, alpha, beta) behind the front-proxy at ${base}`,
        '',
        `Files (certificates, kubeconfigs, mapping file, tokens): ${dir}`,
        `Kubeconfig for the proxy:                               ${proxyKubeconfig}`,
        '',
        'Workspaces:',
        ...Object.entries(workspaces).map(([path, shard]) => `  ${path.padEnd(22)} on shard ${shard}`),
        '',
        'Try:',
        ...commands.flatMap((c) => [`  # ${c.explain}`, `  ${c.command}`]),
        '',
        ...partner.instructions(),
        '',
        ...(o.textLog ? ['Each request through the proxy is shown below: time, method, path, workspace → shard/logical cluster, status, duration, user.'] : []),
        `Press Ctrl-C to stop${ownDir ? ` (removes ${dir})` : ''}.`,
        '',
      ].join('\n'),
      close: () => (closed ??= (async () => {
        try {
          await proxy.close()
        } finally {
          try { await Promise.all([topology.close(), partner.close()]) } finally { await removeDir() }
        }
      })()),
    }
    return demo
  } catch (e) {
    try { await Promise.all([topology.close(), workspaceAuth?.close()]) } finally { await removeDir() }
    throw e
  }
}

/**
 * For the CLI: start, print instructions and one line per request, stop cleanly on
 * SIGINT/SIGTERM (a second signal exits at once, still removing the demo's own directory).
 */
export async function runDemo(o: DemoOptions & { out?: NodeJS.WritableStream } = {}): Promise<void> {
  const out = o.out ?? process.stdout
  const demo = await startDemo({ textLog: out, ...o })
  out.write(demo.instructions())
  await new Promise<void>((resolveStop) => {
    let signals = 0
    const onSignal = (): void => {
      signals++
      if (signals > 1) {
        // Synchronous: nothing asynchronous runs after process.exit().
        if (o.dir === undefined) rmSync(demo.files.dir, { recursive: true, force: true })
        process.exit(1)
      }
      out.write('\nstopping the demo…\n')
      demo.close().then(resolveStop, (e: unknown) => {
        process.stderr.write(`error while stopping: ${e instanceof Error ? e.message : String(e)}\n`)
        resolveStop()
      })
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
