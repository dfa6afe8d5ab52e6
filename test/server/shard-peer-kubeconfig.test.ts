// --shard-peer-kubeconfig end to end: a front-proxy discovers shards through a peer's Admin
// workspace, so it keeps routing and learning shards while the root shard is down, and a fresh
// one becomes ready without it; /readyz?verbose names the endpoint serving discovery.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createFrontProxy } from '../../src/server/index.js'
import { h1 } from '../proxy/fixtures/client.js'
import { eventually } from '../fixtures/eventually.js'
import { proxyTopology } from './fixtures/topology.js'

const { topo, dir, files, tlsCertFile, tlsPrivateKeyFile, ca, admin } = await proxyTopology(t)
const peerKubeconfig = join(dir, 'alpha-peer.kubeconfig')
writeFileSync(peerKubeconfig, topo.kubeconfig({ shard: 'alpha' }), { mode: 0o600 })
const org = topo.resolvePath('root:org')!

function start(): ReturnType<typeof createFrontProxy> {
  return createFrontProxy({
    proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
    secureServing: { tlsCertFile, tlsPrivateKeyFile },
    authentication: { clientCAFile: files.clientCACert },
    extra: { shardPeerKubeconfigs: [peerKubeconfig], shardSyncTimeoutSeconds: 1 },
  })
}
const status = async (url: string): Promise<number> => (await h1(url, ca, admin)).status
const verbose = async (url: string): Promise<string> => (await h1(`${url}/readyz?verbose`, ca)).body

t.test('a running front-proxy keeps routing when the root shard stops and learns a new shard through the peer', async (t) => {
  const proxy = await start()
  t.teardown(() => proxy.close())
  t.equal(await status(`${proxy.url}/clusters/root:org/api/v1/namespaces/default`), 200)
  t.match(await verbose(proxy.url), /^\[\+\]discovery:(peer-1|root) ok$/m)
  await topo.root.stop()
  t.teardown(() => topo.root.start())
  await topo.addShard('delta')
  await topo.createWorkspace('root:org', 'team', { shard: 'delta' })
  await eventually('root:org:team on the new shard routes', async () => (await status(`${proxy.url}/clusters/root:org:team/api/v1/namespaces/default`)) === 200)
  t.equal(await status(`${proxy.url}/clusters/root:org/api/v1/namespaces/default`), 200, 'known workspaces still route')
  await eventually('readiness names the peer', async () => /^\[\+\]discovery:peer-1 ok$/m.test(await verbose(proxy.url)))
  t.equal((await h1(`${proxy.url}/readyz`, ca)).status, 200)
})

t.test('a fresh front-proxy becomes ready with the root shard down and routes to the peer', async (t) => {
  await topo.root.stop()
  t.teardown(() => topo.root.start())
  const proxy = await start()
  t.teardown(() => proxy.close())
  const body = await verbose(proxy.url)
  t.match(body, /^\[\+\]identities ok$/m)
  t.match(body, /^\[\+\]discovery:peer-1 ok$/m)
  t.match(body, /^\[-\]shard:root failed \(not blocking\)/m)
  t.match(body, /readyz check passed/)
  t.equal(await status(`${proxy.url}/clusters/${org.cluster}/api/v1/namespaces/default`), 200, 'a logical cluster on the peer routes by name')
})
