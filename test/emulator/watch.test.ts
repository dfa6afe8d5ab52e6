// WATCH semantics over HTTPS: initial events, resume, 410 as an ERROR event, bookmarks, timeoutSeconds,
// selector transitions, watch-list, dropWatches.
import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { openWatch, requestURL, type WatchStream } from '../../src/emulator/client.js'
import { eventually } from '../fixtures/eventually.js'

const topo = await startTopology()
t.teardown(() => topo.close())
const ca = topo.pki.servingCA.cert
const admin = { ca, token: 'admin-token' }
const base = `${topo.root.baseURL}/clusters/root/api/v1/namespaces/default/configmaps`

async function write(method: string, path: string, body?: object, contentType = 'application/json'): Promise<{ status: number; rv: string }> {
  const r = await requestURL(`${base}${path}`, { ...admin, method, contentType, ...(body ? { body: JSON.stringify(body) } : {}) })
  const parsed = JSON.parse(r.body) as { metadata?: { resourceVersion?: string } }
  return { status: r.status, rv: parsed.metadata?.resourceVersion ?? '' }
}

async function watch(t: { teardown(fn: () => void): void }, query: string): Promise<WatchStream> {
  const w = await openWatch(`${base}?watch=true&${query}`, admin)
  t.teardown(() => w.close())
  return w
}

t.test('RV unset: synthetic ADDED for the current state, then live events; DELETED carries the delete RV', async (t) => {
  await write('POST', '', { metadata: { name: 'w1' } })
  const w = await watch(t, '')
  t.equal(w.status, 200)
  t.equal(w.headers['content-type'], 'application/json')
  t.match(await w.next(), { type: 'ADDED', object: { metadata: { name: 'w1' } } })
  const upd = await write('PUT', '/w1', { metadata: { name: 'w1' }, data: { a: '1' } })
  t.match(await w.next(), { type: 'MODIFIED', object: { data: { a: '1' }, metadata: { resourceVersion: upd.rv } } })
  const del = await requestURL(`${base}/w1`, { ...admin, method: 'DELETE' })
  t.same(JSON.parse(del.body).details.name, 'w1')
  const ev = await w.next()
  t.equal(ev?.type, 'DELETED')
  t.ok(Number(ev?.object.metadata?.resourceVersion) > Number(upd.rv))
})

t.test('RV=N: only changes after N, no synthetic events', async (t) => {
  const a = await write('POST', '', { metadata: { name: 'r1' } })
  await write('POST', '', { metadata: { name: 'r2' } })
  const w = await watch(t, `resourceVersion=${a.rv}`)
  t.match(await w.next(), { type: 'ADDED', object: { metadata: { name: 'r2' } } })
  await write('POST', '', { metadata: { name: 'r3' } })
  t.match(await w.next(), { type: 'ADDED', object: { metadata: { name: 'r3' } } })
})

t.test('an expired RV is HTTP 200 + one ERROR 410 event + end of stream', async (t) => {
  const a = await write('POST', '', { metadata: { name: 'x1' } })
  topo.root.compact()
  const w = await watch(t, `resourceVersion=${a.rv}`)
  t.equal(w.status, 200)
  const ev = await w.next()
  t.equal(ev?.type, 'ERROR')
  t.match(ev?.object, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410, message: new RegExp(`^too old resource version: ${a.rv} \\(\\d+\\)$`) })
  t.equal(await w.next(), undefined)
})

t.test('timeoutSeconds ends the stream cleanly; bookmarks carry the advanced RV', async (t) => {
  const w = await watch(t, 'resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=3&labelSelector=none%3Dmatch')
  // A write to another resource moves the shard RV; the bookmark before the deadline reports it.
  const s = await requestURL(`${topo.root.baseURL}/clusters/root/api/v1/namespaces/default/secrets`, { ...admin, method: 'POST', contentType: 'application/json', body: '{"metadata":{"name":"bump"}}' })
  const rv = JSON.parse(s.body).metadata.resourceVersion as string
  const ev = await w.next(10_000)
  t.same(ev, { type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: rv } } })
  t.equal(await w.next(10_000), undefined, 'stream ends at the deadline')
})

t.test('label selectors turn transitions into ADDED / DELETED', async (t) => {
  await write('POST', '', { metadata: { name: 'sel', labels: { app: 'other' } } })
  const w = await watch(t, 'labelSelector=app%3Ddemo')
  await write('PATCH', '/sel', { metadata: { labels: { app: 'demo' } } }, 'application/merge-patch+json')
  t.match(await w.next(), { type: 'ADDED', object: { metadata: { name: 'sel', labels: { app: 'demo' } } } })
  await write('PATCH', '/sel', { data: { k: 'v' } }, 'application/merge-patch+json')
  t.match(await w.next(), { type: 'MODIFIED', object: { data: { k: 'v' } } })
  await write('PATCH', '/sel', { metadata: { labels: { app: 'gone' } } }, 'application/merge-patch+json')
  t.match(await w.next(), { type: 'DELETED', object: { metadata: { name: 'sel' } } })
})

t.test('field selector on metadata.name (kubectl delete --wait)', async (t) => {
  await write('POST', '', { metadata: { name: 'fs1' } })
  await write('POST', '', { metadata: { name: 'fs2' } })
  const w = await watch(t, 'fieldSelector=metadata.name%3Dfs2')
  t.match(await w.next(), { type: 'ADDED', object: { metadata: { name: 'fs2' } } })
  await requestURL(`${base}/fs1`, { ...admin, method: 'DELETE' })
  await requestURL(`${base}/fs2`, { ...admin, method: 'DELETE' })
  t.match(await w.next(), { type: 'DELETED', object: { metadata: { name: 'fs2' } } })
})

t.test('watch-list: ADDED for the state, then the initial-events-end bookmark with the list blueprint', async (t) => {
  const w = await watch(t, 'sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dr1')
  t.match(await w.next(), { type: 'ADDED', object: { metadata: { name: 'r1' } } })
  const bm = await w.next()
  t.equal(bm?.type, 'BOOKMARK')
  const ann = bm?.object.metadata?.annotations ?? {}
  t.equal(ann['k8s.io/initial-events-end'], 'true')
  const blueprint = JSON.parse(Buffer.from(ann['kubernetes.io/initial-events-list-blueprint'] ?? '', 'base64').toString())
  t.same(blueprint, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: bm?.object.metadata?.resourceVersion }, items: [] })
})

t.test('invalid watch parameters are 422 before any stream', async (t) => {
  for (const q of ['sendInitialEvents=true&resourceVersionMatch=NotOlderThan', 'sendInitialEvents=true', 'resourceVersionMatch=NotOlderThan']) {
    const r = await requestURL(`${base}?watch=true&${q}`, admin)
    t.equal(r.status, 422, q)
    t.equal(JSON.parse(r.body).reason, 'Invalid', q)
  }
})

t.test('dropWatches ends every stream cleanly and stats count open watches', async (t) => {
  const w1 = await watch(t, 'resourceVersion=0&labelSelector=x%3Dy')
  const w2 = await watch(t, 'resourceVersion=0&labelSelector=x%3Dy')
  await eventually('two open watches', () => topo.root.stats.openWatches === 2)
  t.equal(topo.root.stats.openWatches, 2)
  topo.root.dropWatches()
  t.equal(await w1.next(), undefined)
  t.equal(await w2.next(), undefined)
  t.equal(topo.root.stats.openWatches, 0)
})

t.test('the legacy /watch/ path form watches one object', async (t) => {
  await write('POST', '', { metadata: { name: 'legacy' } })
  const w = await openWatch(`${topo.root.baseURL}/clusters/root/api/v1/watch/namespaces/default/configmaps/legacy`, admin)
  t.teardown(() => w.close())
  t.match(await w.next(), { type: 'ADDED', object: { metadata: { name: 'legacy' } } })
})

t.test('bookmarkIntervalMs makes periodic bookmarks when the RV moved', async (t) => {
  const fast = await startTopology({ bookmarkIntervalMs: 100 })
  t.teardown(() => fast.close())
  const w = await openWatch(`${fast.root.baseURL}/clusters/root/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&allowWatchBookmarks=true&labelSelector=none%3Dmatch`, { ca: fast.pki.servingCA.cert, token: 'admin-token' })
  t.teardown(() => w.close())
  await requestURL(`${fast.root.baseURL}/clusters/root/api/v1/namespaces/default/secrets`, { ca: fast.pki.servingCA.cert, token: 'admin-token', method: 'POST', contentType: 'application/json', body: '{"metadata":{"name":"tick"}}' })
  t.equal((await w.next(10_000))?.type, 'BOOKMARK')
})
