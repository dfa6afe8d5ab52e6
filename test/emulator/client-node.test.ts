// @kubernetes/client-node 1.4.0 against an emulated shard: typed API calls, list + watch through an
// informer, and a forced 410 (compact + dropWatches) that must make the informer relist and carry on.
import t from 'tap'
import * as k8s from '@kubernetes/client-node'
import { startTopology } from '../../src/emulator/index.js'
import { eventually } from '../fixtures/eventually.js'

const topo = await startTopology()
t.teardown(() => topo.close())
const kc = new k8s.KubeConfig()
kc.loadFromString(topo.kubeconfig({ cluster: 'root' }))
const core = kc.makeApiClient(k8s.CoreV1Api)

t.test('typed create/read/delete and error codes', async (t) => {
  const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'typed' }, data: { a: '1' } } })
  t.equal(created.metadata?.annotations?.['kcp.io/cluster'], 'root')
  const read = await core.readNamespacedConfigMap({ namespace: 'default', name: 'typed' })
  t.same(read.data, { a: '1' })
  await t.rejects(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'typed' } } }), { code: 409 })
  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'typed' })
  await t.rejects(core.readNamespacedConfigMap({ namespace: 'default', name: 'typed' }), { code: 404 })
})

t.test('an informer relists after a forced 410 and keeps receiving events', async (t) => {
  let lists = 0
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => {
    lists++
    return core.listNamespacedConfigMap({ namespace: 'default' })
  })
  const seen = new Set<string>()
  const errors: unknown[] = []
  informer.on('add', (o) => seen.add(o.metadata?.name ?? ''))
  informer.on('error', (e) => errors.push(e))
  await informer.start()
  t.teardown(() => informer.stop())

  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before' } } })
  await eventually('the watch to deliver "before"', () => seen.has('before'))
  t.equal(lists, 1)

  const shard = topo.root
  await eventually('the informer watch to be open', () => shard.stats.openWatches > 0)
  shard.compact()
  shard.dropWatches()
  await eventually('a relist', () => lists >= 2)

  await eventually('the informer watch to reopen', () => shard.stats.openWatches > 0)
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after' } } })
  await eventually('the watch to deliver "after"', () => seen.has('after'))
  t.same(errors, [], 'no error callbacks')
  t.ok(informer.list().some((o) => o.metadata?.name === 'after'))
})
