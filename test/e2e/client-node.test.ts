// @kubernetes/client-node 1.4.0 (a real Kubernetes client library) through the proxy:
// list + watch with an informer, and the 410 relist after the shard compacts its history.
import t from 'tap'
import { KubeConfig, CoreV1Api, makeInformer, type V1ConfigMap } from '@kubernetes/client-node'
import { Agent, request } from 'undici'
import { startE2E } from './fixtures/env.js'
import { eventually } from '../fixtures/eventually.js'

const e = await startE2E(t)
const kc = new KubeConfig()
kc.loadFromString(e.topo.kubeconfig({ server: `${e.proxyURL}/clusters/root:org`, user: 'admin' }))
const api = kc.makeApiClient(CoreV1Api)
const alpha = e.topo.shards.get('alpha')!

t.test('an informer lists, watches, and relists after a 410 when the shard compacted', async (t) => {
  await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn-1' }, data: { a: '1' } } })
  let lists = 0
  const seen = new Set<string>()
  const errors: unknown[] = []
  const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/default/configmaps', () => {
    lists++
    return api.listNamespacedConfigMap({ namespace: 'default' })
  })
  informer.on('add', (o) => seen.add(o.metadata!.name!))
  informer.on('error', (err) => { errors.push(err) })
  await informer.start()
  t.teardown(() => informer.stop())
  await eventually('cn-1 in the cache', () => seen.has('cn-1'), { timeoutMs: 15_000, intervalMs: 100 })
  await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn-2' } } })
  await eventually('cn-2 via the watch', () => seen.has('cn-2'), { timeoutMs: 15_000, intervalMs: 100 })
  t.equal(lists, 1, 'one list so far')

  // Move the shard's RV past the informer's without it seeing an event (another namespace),
  // forget history, and cut the watches: the informer's re-watch gets ERROR 410 and must relist.
  const admin = new Agent({ connect: { ca: e.ca, cert: e.topo.pki.admin.cert, key: e.topo.pki.admin.key } })
  t.teardown(() => admin.close())
  const ns = await request(`${alpha.baseURL}/clusters/${e.org.cluster}/api/v1/namespaces`, {
    dispatcher: admin, method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'elsewhere' } }),
  })
  const nsBody = await ns.body.text()
  t.equal(ns.statusCode, 201, 'namespace elsewhere created directly on the shard', { body: nsBody })
  alpha.compact()
  alpha.dropWatches()
  await eventually('the informer to relist', () => lists >= 2, { timeoutMs: 10_000, intervalMs: 100 })
  await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn-3' } } })
  await eventually('cn-3 after the relist', () => seen.has('cn-3'), { timeoutMs: 10_000, intervalMs: 100 })
  t.same(informer.list().map((o) => o.metadata!.name).sort(), ['cn-1', 'cn-2', 'cn-3'])
  t.same(errors, [], 'no error callbacks: the 410 is handled, not surfaced')
})
