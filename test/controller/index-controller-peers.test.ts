// Discovery through --shard-peer-kubeconfig over real sockets: the Shards watch and the identities
// come from the peers' and the root shard's Admin workspace, so the root shard can be down.
import t from 'tap'
import { metricsMatching, routedShard, startHarness } from './fixtures/harness.js'
import { eventually } from '../fixtures/eventually.js'

const checkNames = (c: { readiness(): { checks: { name: string }[] } }): string[] => c.readiness().checks.map((x) => x.name)
const discoveryCheck = (c: { readiness(): { checks: { name: string; ok: boolean }[] } }) => c.readiness().checks.find((x) => x.name.startsWith('discovery:'))

t.test('a running controller keeps routing when the root shard stops and learns a new shard through a peer', async (t) => {
  const { topo, index, controller } = await startHarness(t, { peers: ['alpha', 'beta'] })
  const org = await topo.createWorkspace('root', 'org', { shard: 'alpha' })
  await controller.whenReady()
  await eventually('root:org routed to alpha', () => routedShard(index, 'root:org') === 'alpha')
  t.match(discoveryCheck(controller), { name: /^discovery:(peer-1|peer-2|root)$/, ok: true })
  await topo.root.stop()
  await topo.addShard('delta')
  await eventually('delta learned through a peer', () => checkNames(controller).includes('shard:delta'))
  await topo.createWorkspace('root:org', 'team', { shard: 'delta' })
  await eventually('a workspace on the new shard routes', () => routedShard(index, 'root:org:team') === 'delta')
  t.equal(routedShard(index, 'root:org'), 'alpha', 'what was known before still routes')
  t.equal(index.lookup(org.cluster)?.shard, 'alpha')
  await eventually('readiness names the peer serving discovery', () => /^discovery:peer-[12]$/.test(discoveryCheck(controller)?.name ?? ''))
  t.equal(controller.readiness().ready, true)
})

t.test('a fresh controller becomes ready with the root shard down', async (t) => {
  let cluster = ''
  const { index, controller } = await startHarness(t, {
    peers: ['alpha'],
    shardSyncTimeoutMs: 300,
    before: async (topo) => {
      cluster = (await topo.createWorkspace('root', 'org', { shard: 'alpha' })).cluster
      await topo.root.stop()
    },
  })
  await controller.whenReady()
  const r = controller.readiness()
  t.equal(r.ready, true)
  t.match(r.checks.find((c) => c.name === 'identities'), { ok: true }, 'identities resolved through the peer')
  t.match(r.checks.find((c) => c.name === 'shard:root'), { ok: false, blocking: false }, 'the root shard is reported, not waited for')
  t.match(discoveryCheck(controller), { name: 'discovery:peer-1', ok: true })
  await eventually('logical clusters on the peer route', () => index.lookup(cluster)?.shard === 'alpha')
})

t.test('failover resumes the Shards watch from its resourceVersion: changes made meanwhile arrive without a relist', async (t) => {
  const { topo, controller, registry } = await startHarness(t, { peers: ['alpha', 'beta'], shards: ['root', 'alpha', 'beta', 'gamma'] })
  await controller.whenReady()
  // Every shard serves its own Workspace and LogicalCluster watches (2); the Shards watch is the third on one of them.
  const serving = () => [...topo.shards.values()].find((s) => s.stats.openWatches === 3 && s.name !== 'gamma')
  await eventually('the Shards watch is open', () => serving() !== undefined)
  await new Promise((r) => setTimeout(r, 1100)) // a watch ending within 1 s without events counts as a failure
  const s = serving()!
  await s.stop()
  t.teardown(() => s.start())
  await topo.addShard('delta')
  await topo.removeShard('gamma')
  await eventually('both changes seen', () => checkNames(controller).includes('shard:delta') && !checkNames(controller).includes('shard:gamma'))
  await metricsMatching(registry, /kcp_front_proxy_watch_restarts_total\{shard="",resource="shards"\} [1-9]/)
  t.notMatch(await registry.metrics(), /kcp_front_proxy_relists_total\{shard="",resource="shards"\}/, 'resumed, not relisted')
  t.not(discoveryCheck(controller)?.name, `discovery:${s.name === 'root' ? 'root' : s.name === 'alpha' ? 'peer-1' : 'peer-2'}`, 'served by another endpoint now')
})

t.test('without peers nothing changes: no discovery check, Shards from the root shard', async (t) => {
  const { controller, registry } = await startHarness(t)
  await controller.whenReady()
  t.notOk(checkNames(controller).some((n) => n.startsWith('discovery')))
  t.notMatch(await registry.metrics(), /kcp_front_proxy_discovery_failovers_total/)
})
