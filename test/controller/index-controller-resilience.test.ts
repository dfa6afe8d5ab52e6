import t from 'tap'
import { metricsMatching, startHarness, routedShard } from './fixtures/harness.js'
import { eventually } from '../fixtures/eventually.js'

t.test('shard restart mid-watch: the index keeps up after the shard comes back', async (t) => {
  const { topo, index, controller } = await startHarness(t)
  await controller.whenReady()
  const alpha = topo.shards.get('alpha')!
  await alpha.stop()
  await alpha.start()
  await topo.createWorkspace('root', 'after-restart', { shard: 'alpha' })
  await eventually('change after restart indexed', () => routedShard(index, 'root:after-restart') === 'alpha')
  await topo.setWorkspacePhase('root:after-restart', 'Unavailable')
  await eventually('phase change seen on the LogicalCluster watch', () => index.lookup('root:after-restart')?.errorCode === 503)
})

t.test('all watches dropped: re-watch from the last RV, later changes still arrive', async (t) => {
  // minWatchMs 0: every dropped watch ends normally, however young and quiet (a short watch is
  // a failure with backoff, pinned in test/kube/reflector.test.ts), so no test waits out the age.
  const { topo, index, controller, registry } = await startHarness(t, { minWatchMs: 0 })
  await controller.whenReady()
  await eventually('two watches on every shard', () => [...topo.shards.values()].every((s) => s.stats.openWatches >= 2))
  for (const s of topo.shards.values()) s.dropWatches()
  await topo.createWorkspace('root', 'after-drop', { shard: 'beta' })
  await eventually('root:after-drop routed to beta', () => routedShard(index, 'root:after-drop') === 'beta')
  await metricsMatching(registry, /kcp_front_proxy_watch_restarts_total\{shard="beta",resource="logicalclusters"\} [1-9]/)
  t.pass('the restart is counted')
})

t.test('compaction while a shard is down: 410 forces a relist and objects deleted meanwhile disappear', async (t) => {
  const { topo, index, controller, registry } = await startHarness(t)
  await topo.createWorkspace('root', 'doomed', { shard: 'alpha' })
  await topo.createWorkspace('root', 'survivor', { shard: 'alpha' })
  await controller.whenReady()
  await eventually('root:doomed routed to alpha', () => routedShard(index, 'root:doomed') === 'alpha')
  await eventually('root:survivor routed to alpha', () => routedShard(index, 'root:survivor') === 'alpha')
  const root = topo.root
  const alpha = topo.shards.get('alpha')!
  // Take down both the shard holding the Workspace objects (root) and the one with the LCs.
  await root.stop()
  await alpha.stop()
  await topo.deleteWorkspace('root:doomed')
  root.compact()
  alpha.compact()
  await root.start()
  await alpha.start()
  await eventually('deleted-while-down workspace removed after relist', () => index.lookup('root:doomed') === undefined, { timeoutMs: 15_000 })
  t.equal(routedShard(index, 'root:survivor'), 'alpha')
  await metricsMatching(registry, /kcp_front_proxy_relists_total\{shard="root",resource="workspaces"\} [1-9]/)
  t.pass('the relist is counted')
})

t.test('root shard down then back: Shards and root workspaces resume', async (t) => {
  const { topo, index, controller, warnings } = await startHarness(t)
  await controller.whenReady()
  await topo.createWorkspace('root', 'before-root-down', { shard: 'alpha' })
  await eventually('root:before-root-down routed to alpha', () => routedShard(index, 'root:before-root-down') === 'alpha')
  await topo.root.stop()
  // The transition: the controller has seen the root shard fail (its Shards watch backs off).
  await eventually('the Shards watch to fail', () => warnings.includes('Shards watch failed, backing off'))
  t.equal(controller.readiness().ready, true, 'a ready replica stays ready while the root shard is down')
  t.equal(routedShard(index, 'root:before-root-down'), 'alpha', 'and what it indexed stays routable')
  await topo.root.start()
  await topo.createWorkspace('root', 'after-root-back', { shard: 'alpha' })
  await eventually('root:after-root-back routed to alpha', () => routedShard(index, 'root:after-root-back') === 'alpha', { timeoutMs: 15_000 })
  await topo.addShard('delta')
  await topo.createWorkspace('root', 'on-delta', { shard: 'delta' })
  await eventually('Shards watch resumed', () => routedShard(index, 'root:on-delta') === 'delta')
})
