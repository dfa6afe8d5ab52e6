// Child process: an emulated kcp topology (the shards under test), seeded with one
// workspace and a configmap of a known size. Runs alone so the shard's CPU is not
// charged to the proxy. Usage (through bench/lib/child.ts):
//   topology.ts --dir <dir> [--shards root,alpha] [--workspace-shard alpha] [--configmap-bytes 1024] [--http2 true]
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTopology } from '../../../src/emulator/index.js'
import { caFromPair, issueLoopbackServerCert } from '../../../src/pki/index.js'
import { serveChild, childArg } from '../child-side.js'
import { tlsAgent, configMapOfSize, ensureConfigMap } from '../kube-http.js'
import type { TopologyFiles, CreatedWorkspace } from '../../../src/emulator/types.js'

export interface TopologyInfo {
  files: TopologyFiles
  shards: Record<string, string>
  workspace: CreatedWorkspace & { name: string }
  /** Path of the seeded configmap below `/clusters/<x>`. */
  objectPath: string
  adminToken: string
}

const ADMIN_TOKEN = 'admin-token'

serveChild<TopologyInfo>(async () => {
  const dir = childArg('dir')
  const shardNames = childArg('shards', 'root').split(',')
  const wsShard = childArg('workspace-shard', shardNames[shardNames.length - 1])
  const cmBytes = Number(childArg('configmap-bytes', '1024'))
  const topo = await startTopology({ shards: shardNames, historyWindow: 1000, http2: childArg('http2', 'false') === 'true' })
  const files = await topo.writeFiles(dir)
  const ws = await topo.createWorkspace('root', 'bench', { shard: wsShard })
  const shard = (name: unknown): NonNullable<ReturnType<typeof topo.shards.get>> => {
    const s = topo.shards.get(typeof name === 'string' ? name : wsShard)
    if (!s) throw new Error(`no shard ${String(name)}`)
    return s
  }
  const agent = tlsAgent({ ca: readFileSync(files.caCert, 'utf8') })
  const clusterURL = (): string => `${shard(ws.shard).baseURL}/clusters/${ws.cluster}`
  await ensureConfigMap(agent, clusterURL(), configMapOfSize('bench-1k', cmBytes), ADMIN_TOKEN)

  return {
    info: {
      files,
      shards: Object.fromEntries([...topo.shards].map(([n, s]) => [n, s.baseURL])),
      workspace: { ...ws, name: 'bench' },
      objectPath: '/api/v1/namespaces/default/configmaps/bench-1k',
      adminToken: ADMIN_TOKEN,
    },
    handlers: {
      /** Registers a static token on every shard (a JWT minted after start, so a proxy without authentication can pass it). */
      addToken: (a) => topo.addToken({ token: String(a.token), user: String(a.user), groups: (a.groups as string[] | undefined) ?? [] }),
      /**
       * Per-workspace authentication for the bench: WAC `bench-idp` (the given issuer), WorkspaceType
       * `bench-ws` listing it, a workspace `root:bench-ws` of that type on the bench shard with the same
       * configmap. Returns the workspace's logical cluster.
       */
      addWorkspaceAuth: async (a) => {
        await topo.putAuthConfig('root', 'bench-idp', {
          jwt: [{ issuer: { url: String(a.url), certificateAuthority: String(a.ca), audiences: [String(a.audience)] }, claimMappings: { username: { claim: 'email', prefix: 'ws:' }, groups: { claim: 'groups', prefix: 'ws:' } } }],
        })
        await topo.putWorkspaceType('root', 'bench-ws', { authenticationConfigurations: ['bench-idp'] })
        const w = await topo.createWorkspace('root', 'bench-ws', { type: 'root:bench-ws', shard: wsShard })
        await ensureConfigMap(agent, `${shard(w.shard).baseURL}/clusters/${w.cluster}`, configMapOfSize('bench-1k', cmBytes), ADMIN_TOKEN)
        return { cluster: w.cluster, path: 'root:bench-ws' }
      },
      /** A loopback serving pair from the shards' CA, for a server that stands in for a shard (static-shard.ts). */
      issueShardServing: async () => {
        const pair = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
        const f = { cert: join(dir, 'stand-in-shard.crt'), key: join(dir, 'stand-in-shard.key') }
        writeFileSync(f.cert, pair.cert)
        writeFileSync(f.key, pair.key, { mode: 0o600 })
        return f
      },
      /** Points a Shard's baseURL elsewhere: the proxies' controllers follow it (their lists and watches, and the routes). */
      setShardBaseURL: (a) => topo.setShardBaseURL(String(a.shard), String(a.url)),
      stats: () => Object.fromEntries([...topo.shards].map(([n, s]) => [n, { ...s.stats }])),
      dropWatches: (a) => shard(a.shard).dropWatches(),
      compact: (a) => shard(a.shard).compact(),
      /** Every request to the shard waits this long before it is handled (fairness.bench.ts's slow shard). */
      setLatency: (a) => shard(a.shard).setLatency(Number(a.ms)),
      /** Creates `count` configmaps of `bytes` each in the bench workspace, `parallel` at a time. */
      seedConfigMaps: async (a) => {
        const count = Number(a.count), bytes = Number(a.bytes), parallel = Number(a.parallel ?? 8)
        let next = 0
        const worker = async (): Promise<void> => {
          while (next < count) {
            const i = next++
            await ensureConfigMap(agent, clusterURL(), configMapOfSize(`${typeof a.prefix === 'string' ? a.prefix : 'big'}-${i}`, bytes), ADMIN_TOKEN)
          }
        }
        await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker))
        return { created: count }
      },
    },
    close: async () => { await agent.close(); await topo.close() },
  }
})
