// kcp's Admin workspace (/services/admin) on every emulated shard: the same read-only view of
// Shards and root APIExports in one resourceVersion space, served while the root shard is down.
import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { openWatch, requestURL } from '../../src/emulator/client.js'

const topo = await startTopology({ shards: ['root', 'alpha', 'beta'] })
t.teardown(() => topo.close())
const ca = topo.pki.servingCA.cert
const kcpAdmin = { ca, cert: topo.pki.admin }
const shardsOf = (shard: string, prefix = ''): string => `${topo.shards.get(shard)!.baseURL}/services/admin${prefix}/apis/core.kcp.io/v1alpha1/shards`

interface ShardList {
  metadata: { resourceVersion: string }
  items: { metadata: { name: string }; spec: { baseURL: string } }[]
}

t.test('every shard lists the same Shards at the same resourceVersion, with or without a /clusters/<name> segment', async (t) => {
  const lists = await Promise.all([
    requestURL(shardsOf('root'), kcpAdmin),
    requestURL(shardsOf('alpha'), kcpAdmin),
    requestURL(shardsOf('beta', '/clusters/root'), kcpAdmin),
    requestURL(shardsOf('beta', '/clusters/*'), kcpAdmin),
  ])
  for (const l of lists) t.equal(l.status, 200)
  const bodies = lists.map((l) => l.json<ShardList>())
  t.same(bodies[0].items.map((i) => i.metadata.name).sort(), ['alpha', 'beta', 'root'])
  for (const b of bodies.slice(1)) {
    t.same(b.items, bodies[0].items, 'identical items')
    t.equal(b.metadata.resourceVersion, bodies[0].metadata.resourceVersion, 'one resourceVersion space')
  }
  const one = await requestURL(`${shardsOf('alpha')}/beta`, kcpAdmin)
  t.equal(one.json<{ spec: { baseURL: string } }>().spec.baseURL, topo.shards.get('beta')!.baseURL)
  t.equal((await requestURL(`${shardsOf('alpha')}/nope`, kcpAdmin)).status, 404)
})

t.test('root APIExports carry the identity hashes', async (t) => {
  const r = await requestURL(`${topo.shards.get('alpha')!.baseURL}/services/admin/clusters/root/apis/apis.kcp.io/v1alpha2/apiexports/tenancy.kcp.io`, kcpAdmin)
  t.equal(r.status, 200)
  t.equal(r.json<{ status: { identityHash: string } }>().status.identityHash, topo.identityHashes['tenancy.kcp.io'])
})

t.test('read-only, Shards and APIExports only, system:kcp:admin only', async (t) => {
  const alpha = topo.shards.get('alpha')!.baseURL
  const masters = await requestURL(shardsOf('alpha'), { ca, token: 'admin-token' })
  t.equal(masters.status, 403, 'system:masters without system:kcp:admin')
  t.match(masters.json(), { kind: 'Status', reason: 'Forbidden', message: /system:kcp:admin/ })
  t.equal((await requestURL(shardsOf('alpha'), { ca })).status, 401, 'anonymous')
  const post = await requestURL(shardsOf('alpha'), { ...kcpAdmin, method: 'POST', contentType: 'application/json', body: '{"metadata":{"name":"x"}}' })
  t.equal(post.status, 405)
  t.equal((await requestURL(`${shardsOf('alpha')}/beta`, { ...kcpAdmin, method: 'DELETE' })).status, 405)
  t.equal((await requestURL(`${alpha}/services/admin/api/v1/namespaces`, kcpAdmin)).status, 404, 'other resources are not in the view')
  t.equal((await requestURL(`${alpha}/services/admin/apis/core.kcp.io/v1alpha1/shards/beta/status`, kcpAdmin)).status, 404, 'no subresources')
})

t.test('with the root shard stopped, a peer lists, resumes a watch from the last resourceVersion, and sees new Shards', async (t) => {
  const before = (await requestURL(shardsOf('alpha'), kcpAdmin)).json<ShardList>()
  const w1 = await openWatch(`${shardsOf('beta')}?watch=true&allowWatchBookmarks=true&resourceVersion=${before.metadata.resourceVersion}`, kcpAdmin)
  t.teardown(() => w1.close())
  t.equal(w1.status, 200)
  await topo.root.stop()
  t.teardown(() => topo.root.start())
  const gamma = await topo.addShard('gamma')
  const added = await w1.next()
  t.match(added, { type: 'ADDED', object: { metadata: { name: 'gamma' } } }, 'the watch on beta outlives the root shard')
  // beta goes away: the same watch resumes on alpha from its last resourceVersion, missing nothing.
  const rv = added?.object.metadata?.resourceVersion
  await topo.shards.get('beta')!.stop()
  t.teardown(() => topo.shards.get('beta')!.start())
  await w1.ended
  await topo.setShardBaseURL('gamma', gamma.baseURL.replace('127.0.0.1', 'localhost'))
  const w2 = await openWatch(`${shardsOf('alpha')}?watch=true&resourceVersion=${rv}`, kcpAdmin)
  t.teardown(() => w2.close())
  t.match(await w2.next(), { type: 'MODIFIED', object: { metadata: { name: 'gamma' }, spec: { baseURL: /localhost/ } } })
  const list = (await requestURL(shardsOf('alpha'), kcpAdmin)).json<ShardList>()
  t.same(list.items.map((i) => i.metadata.name).sort(), ['alpha', 'beta', 'gamma', 'root'])
})
