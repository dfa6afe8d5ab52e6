import t from 'tap'
import { metricsMatching, startHarness, routedShard } from './fixtures/harness.js'
import { eventually } from '../fixtures/eventually.js'

t.test('becomes ready only after every shard synced; existing and new workspaces route; deletions disappear', async (t) => {
  const { topo, index, registry, controller } = await startHarness(t, {
    start: false,
    before: async (topo) => {
      await topo.createWorkspace('root', 'org-a', { shard: 'alpha' })
      await topo.createWorkspace('root', 'org-b', { shard: 'beta' })
    },
  })
  const early = controller.readiness()
  t.equal(early.ready, false, 'not ready before start')
  await controller.start()
  await controller.whenReady()
  // Readiness implies the shards' lists are applied: no early 403 window (upstream Appendix A.5).
  t.equal(routedShard(index, 'root:org-a'), 'alpha')
  t.equal(routedShard(index, 'root:org-b'), 'beta')
  const r = controller.readiness()
  t.equal(r.ready, true)
  t.same(r.checks.map((c) => `${c.name}=${c.ok}`), ['identities=true', 'shards-synced=true', 'shard:alpha=true', 'shard:beta=true', 'shard:root=true'])

  const created = await topo.createWorkspace('root:org-a', 'team', { shard: 'beta' })
  await eventually('root:org-a:team routed to beta', () => routedShard(index, 'root:org-a:team') === 'beta')
  t.equal(index.lookup('root:org-a:team')?.cluster, created.cluster)
  await topo.deleteWorkspace('root:org-a:team')
  await eventually('deleted workspace gone from the index', () => index.lookup('root:org-a:team') === undefined)

  const text = await metricsMatching(registry, /kcp_front_proxy_index_events_total\{shard="alpha",resource="workspaces",type="delete"\} 1/)
  t.match(text, /# HELP kcp_indexed_logicalclusters \[ALPHA\] /)
  t.match(text, /kcp_indexed_logicalclusters\{shard="root"\} \d+/)
  t.match(text, /kcp_front_proxy_index_events_total\{shard="alpha",resource="workspaces",type="delete"\} 1/)
  t.match(text, /kcp_front_proxy_index_propagation_seconds_count\{resource="workspaces",type="add"\} [1-9]/)
})

t.test('a shard added and removed at runtime: routed while present, readiness stays ready', async (t) => {
  const { topo, index, controller } = await startHarness(t, { shards: ['root', 'alpha'] })
  await controller.whenReady()
  await topo.addShard('gamma')
  await topo.createWorkspace('root', 'on-gamma', { shard: 'gamma' })
  await eventually('root:on-gamma routed to gamma', () => routedShard(index, 'root:on-gamma') === 'gamma')
  t.equal(controller.readiness().ready, true)
  t.ok(controller.readiness().checks.some((c) => c.name === 'shard:gamma'))
  await topo.removeShard('gamma')
  await eventually('shard check removed', () => !controller.readiness().checks.some((c) => c.name === 'shard:gamma'))
  await eventually('routes to the removed shard are gone', () => index.lookupURL('root:on-gamma') === undefined)
  t.equal(index.indexedCounts().has('gamma'), false)
  t.equal(controller.readiness().ready, true)
})

t.test('a Shard baseURL change (127.0.0.1 -> localhost -> 127.0.0.1) keeps routing and moves the watches', async (t) => {
  const { topo, index, controller } = await startHarness(t, { shards: ['root', 'alpha'] })
  await topo.createWorkspace('root', 'w1', { shard: 'alpha' })
  await controller.whenReady()
  const alpha = topo.shards.get('alpha')!
  const local = alpha.baseURL.replace('127.0.0.1', 'localhost')
  await topo.setShardBaseURL('alpha', local)
  await eventually('URL switched to localhost', () => index.lookupURL('root:w1')?.url.startsWith(local + '/clusters/'))
  await topo.createWorkspace('root:w1', 'child', { shard: 'alpha' })
  await eventually('new LC on the moved shard indexed', () => routedShard(index, 'root:w1:child') === 'alpha')
  await topo.setShardBaseURL('alpha', alpha.baseURL.replace('localhost', '127.0.0.1'))
  await eventually('root:w1:child at the new URL', () => index.lookupURL('root:w1:child')?.url.startsWith('https://127.0.0.1:'))
  t.equal(routedShard(index, 'root:w1'), 'alpha', 'routing never dropped the shard')
})

t.test('a non-root shard unreachable at startup: bounded wait, then ready with that shard failing; it rejoins later', async (t) => {
  const { topo, index, controller } = await startHarness(t, {
    // Long enough that a loaded machine still sees the waiting state before it ends.
    shardSyncTimeoutMs: 5000,
    start: false,
    before: async (topo) => {
      await topo.createWorkspace('root', 'on-beta', { shard: 'beta' })
      await topo.shards.get('beta')!.stop()
    },
  })
  const t0 = Date.now()
  await controller.start()
  await eventually('shard:beta waiting for its first sync', () => controller.readiness().checks.find((c) => c.name === 'shard:beta' && !c.ok && /waiting/.test(c.message ?? '')))
  t.equal(controller.readiness().ready, false, 'blocked within the timeout')
  await controller.whenReady()
  t.ok(Date.now() - t0 >= 4900, 'waited for the shard sync timeout')
  const beta = controller.readiness().checks.find((c) => c.name === 'shard:beta')!
  t.equal(beta.ok, false)
  t.match(beta.message, /not synced within 5s, not blocking readiness: .*ECONNREFUSED/)
  await topo.shards.get('beta')!.start()
  await eventually('beta rejoined', () => controller.readiness().checks.find((c) => c.name === 'shard:beta')?.ok === true)
  await topo.createWorkspace('root:on-beta', 'later', { shard: 'beta' })
  await eventually('root:on-beta:later routed to beta', () => routedShard(index, 'root:on-beta:later') === 'beta')
})

t.test('stop() rejects whenReady when never ready and leaves no watches open', async (t) => {
  const { topo, controller } = await startHarness(t, {
    shardSyncTimeoutMs: 60_000,
    start: false,
    before: async (topo) => topo.shards.get('beta')!.stop(),
  })
  await controller.start()
  await eventually('a watch on the root shard', () => topo.root.stats.openWatches > 0)
  const p = controller.whenReady()
  await controller.stop()
  await t.rejects(p, /stopped before it became ready/)
  await eventually('every watch closed', () => [...topo.shards.values()].every((s) => s.stats.openWatches === 0))
})
