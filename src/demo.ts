// Demo mode (`kcp-front-proxy` with no flags, `npm start`): an emulated kcp with three
// shards, the front-proxy in front of it with client-certificate, token and requestheader
// authentication as a real deployment has, a small workspace tree spread over the shards,
// and a kubeconfig plus kubectl commands to try. Everything runs on loopback.

import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { startTopology } from './emulator/index.js'
import type { Topology, TopologyFiles } from './emulator/index.js'
import { caFromPair, issueLoopbackServerCert } from './pki/index.js'
import { createFrontProxy, type FrontProxy } from './server/index.js'
import { startWorkspaceAuthDemo, type WorkspaceAuthDemo } from './demo-workspace-auth.js'

/** The port the demo tries first; if it is taken, any free port. */
export const DEMO_PORT = 6443

export interface DemoOptions {
  /** Port for the proxy: a number (0 = free), default DEMO_PORT falling back to a free port. */
  port?: number
  /** Where files go; default a new temporary directory. */
  dir?: string
  /** Proxy request logs (pino JSON); default none. */
  logStream?: NodeJS.WritableStream
}

export interface Demo {
  readonly topology: Topology
  readonly proxy: FrontProxy
  readonly files: TopologyFiles & { proxyKubeconfig: string; servingCert: string; servingKey: string }
  /** Workspace path → shard. */
  readonly workspaces: Record<string, string>
  /** A workspace type with its own issuer (demo-workspace-auth.ts). */
  readonly workspaceAuth: WorkspaceAuthDemo & { kubeconfig: string }
  /** Ready-to-paste kubectl commands with a one-line explanation each. */
  readonly commands: { explain: string; command: string }[]
  /** The text printed by runDemo(). */
  instructions(): string
  close(): Promise<void>
}

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
    ],
    contexts: [context('team-a', 'team-a', 'admin'), context('org', 'org', 'admin'), context('proxy', 'proxy', 'admin'), context('bob', 'team-a', 'bob')],
    'current-context': 'team-a',
  })
}

function isAddressInUse(e: unknown): boolean {
  return e instanceof Error && ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' || /EADDRINUSE/.test(e.message))
}

export async function startDemo(o: DemoOptions = {}): Promise<Demo> {
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'kcp-front-proxy-demo-')))
  const topology = await startTopology({ shards: ['root', 'alpha', 'beta'] })
  let workspaceAuth: WorkspaceAuthDemo | undefined
  try {
    const files = await topology.writeFiles(dir)
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
      ...(o.logStream ? { logStream: o.logStream } : {}),
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
      { explain: 'who the shard thinks you are (identity forwarded by the proxy)', command: `${k} auth whoami` },
      { explain: 'a user the shard forbids: 403', command: `${k} --context bob get configmaps` },
      { explain: 'an unknown workspace: 403 from the proxy', command: `${k} --context proxy get --raw /clusters/root:nope/api` },
    ]

    let closed: Promise<void> | undefined
    const demo: Demo = {
      topology,
      proxy,
      files: { ...files, proxyKubeconfig, servingCert, servingKey },
      workspaces,
      workspaceAuth: Object.assign(partner, { kubeconfig: partnerKubeconfig }),
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
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
      close: () => (closed ??= (async () => {
        try { await proxy.close() } finally { await Promise.all([topology.close(), partner.close()]) }
      })()),
    }
    return demo
  } catch (e) {
    await Promise.all([topology.close(), workspaceAuth?.close()])
    throw e
  }
}

/** For the CLI: start, print instructions, stop cleanly on SIGINT/SIGTERM (a second signal exits at once). */
export async function runDemo(o: DemoOptions & { out?: NodeJS.WritableStream } = {}): Promise<void> {
  const out = o.out ?? process.stdout
  const demo = await startDemo(o)
  out.write(demo.instructions())
  await new Promise<void>((resolveStop) => {
    let signals = 0
    const onSignal = (): void => {
      signals++
      if (signals > 1) process.exit(1)
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
