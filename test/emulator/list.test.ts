// LIST semantics over HTTPS against a real shard: RV/resourceVersionMatch rules, consistent pagination,
// selectors, and the exact Status bodies.
import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { requestURL } from '../../src/emulator/client.js'
import { listSnapshotRV } from '../../src/emulator/list.js'
import { STREAM_BATCH } from '../../src/emulator/respond.js'

interface Item { metadata: { name: string; labels: Record<string, string> } }
interface Body { items: Item[]; metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; message?: string; reason?: string; code?: number }

t.test('which snapshot a list reads (resourceVersion × resourceVersionMatch × paging)', async (t) => {
  const cur = 100
  const cases: [object, number | string][] = [
    [{}, 100],
    [{ resourceVersion: '0' }, 100],
    [{ resourceVersion: '50' }, 100],
    [{ resourceVersion: '50', limit: 10 }, 50],
    [{ resourceVersion: '50', resourceVersionMatch: 'Exact' }, 50],
    [{ resourceVersion: '50', resourceVersionMatch: 'NotOlderThan', limit: 10 }, 100],
    [{ resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' }, 100],
    [{ resourceVersionMatch: 'NotOlderThan' }, 'resourceVersionMatch is forbidden unless resourceVersion is provided'],
    [{ resourceVersionMatch: 'Exact' }, 'resourceVersionMatch is forbidden unless resourceVersion is provided'],
    [{ resourceVersion: '0', resourceVersionMatch: 'Exact' }, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
    [{ resourceVersion: '1', resourceVersionMatch: 'Sometimes' }, 'Unsupported value'],
    [{ resourceVersion: '200' }, 'Too large resource version: 200, current: 100'],
    [{ resourceVersion: 'abc' }, 'invalid resource version'],
  ]
  for (const [q, want] of cases) {
    if (typeof want === 'number') t.equal(listSnapshotRV(q, cur).rv, want, JSON.stringify(q))
    else t.throws(() => listSnapshotRV(q, cur), { message: new RegExp(want.replace(/[()"]/g, '.')) }, JSON.stringify(q))
  }
  t.equal(listSnapshotRV({ resourceVersion: '0', limit: 5 }, cur).ignoreLimit, true, 'RV=0 is served from the cache, which ignores limit')
})

t.test('over HTTPS', async (t) => {
  const topo = await startTopology()
  t.teardown(() => topo.close())
  const ca = topo.pki.servingCA.cert
  const base = `${topo.root.baseURL}/clusters/root/api/v1/namespaces/default/configmaps`
  const admin = { ca, token: 'admin-token' }
  const post = (name: string, labels: Record<string, string> = {}): Promise<unknown> =>
    requestURL(base, { ...admin, method: 'POST', contentType: 'application/json', body: JSON.stringify({ metadata: { name, labels } }) })
  for (let i = 0; i < 12; i++) await post(`cm-${String(i).padStart(2, '0')}`, { parity: i % 2 === 0 ? 'even' : 'odd' })
  const get = async (q: string): Promise<{ status: number; body: Body }> => {
    const r = await requestURL(`${base}${q}`, admin)
    return { status: r.status, body: JSON.parse(r.body) as Body }
  }

  t.test('pages come from one snapshot: later writes do not show, the RV stays', async (t) => {
    const p1 = await get('?limit=5')
    t.equal(p1.body.items.length, 5)
    t.equal(p1.body.metadata.remainingItemCount, 7)
    const rv = p1.body.metadata.resourceVersion
    await post('cm-00a')
    const del = await requestURL(`${base}/cm-11`, { ...admin, method: 'DELETE' })
    t.equal(del.status, 200)
    const names: string[] = p1.body.items.map((o) => o.metadata.name)
    let cont = p1.body.metadata.continue
    for (let i = 0; cont !== undefined && i < 10; i++) {
      const p = await get(`?limit=5&continue=${encodeURIComponent(cont)}`)
      t.equal(p.body.metadata.resourceVersion, rv)
      names.push(...p.body.items.map((o) => o.metadata.name))
      cont = p.body.metadata.continue
    }
    t.same(names, Array.from({ length: 12 }, (_, i) => `cm-${String(i).padStart(2, '0')}`))
    const fresh = await get('')
    t.ok(fresh.body.items.some((o) => o.metadata.name === 'cm-00a'))
    t.notOk(fresh.body.items.some((o) => o.metadata.name === 'cm-11'))
  })

  t.test('continue with a resourceVersion is a 400; an expired token is a 410', async (t) => {
    const p1 = await get('?limit=2')
    const bad = await get(`?limit=2&resourceVersion=5&continue=${encodeURIComponent(p1.body.metadata.continue!)}`)
    t.equal(bad.status, 400)
    topo.root.compact()
    const gone = await get(`?limit=2&continue=${encodeURIComponent(p1.body.metadata.continue!)}`)
    t.equal(gone.status, 410)
    t.match(gone.body, { reason: 'Expired', code: 410, message: /^The provided continue parameter is too old/ })
  })

  t.test('exact RV reads: older state, too old (410), too new (504 with retryAfterSeconds)', async (t) => {
    const now = await get('')
    const rv = Number(now.body.metadata.resourceVersion)
    await post('cm-later')
    const exact = await get(`?resourceVersion=${rv}&resourceVersionMatch=Exact`)
    t.equal(exact.status, 200)
    t.notOk(exact.body.items.some((o) => o.metadata.name === 'cm-later'))
    const old = await get('?resourceVersion=3&resourceVersionMatch=Exact')
    t.same(old.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'The resourceVersion for the provided list is too old.', reason: 'Expired', code: 410 })
    const future = await get('?resourceVersion=99999999')
    t.equal(future.status, 504)
    t.match(future.body, { reason: 'Timeout', details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 } })
    const noRV = await get('?resourceVersionMatch=NotOlderThan')
    t.equal(noRV.status, 422)
  })

  t.test('label and field selectors; remainingItemCount is omitted with selectors', async (t) => {
    const even = await get('?labelSelector=parity%3Deven&limit=3')
    t.ok(even.body.items.every((o) => o.metadata.labels.parity === 'even'))
    t.equal(even.body.metadata.remainingItemCount, undefined)
    t.ok(even.body.metadata.continue)
    const one = await get('?fieldSelector=metadata.name%3Dcm-03')
    t.same(one.body.items.map((o) => o.metadata.name), ['cm-03'])
    const bad = await get('?fieldSelector=spec.x%3D1')
    t.equal(bad.status, 400)
    t.equal(bad.body.message, 'field label not supported: spec.x')
  })

  t.test('sendInitialEvents on a list is rejected, never ignored', async (t) => {
    t.equal((await get('?sendInitialEvents=true')).status, 400)
  })
})

t.test('a large list is streamed in batches: complete, ordered, and a client leaving mid-stream harms nothing', async (t) => {
  const topo = await startTopology({ shards: ['root', 'alpha'] })
  t.teardown(() => topo.close())
  const ca = topo.pki.servingCA.cert
  const n = STREAM_BATCH * 2 + 7
  topo.seedWorkspaces('root', Array.from({ length: n }, (_, i) => `ws-${String(i).padStart(4, '0')}`), { shards: ['alpha'] })
  const url = `${topo.shards.get('alpha')!.baseURL}/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters`
  const r = await requestURL(`${url}?limit=500&resourceVersion=0`, { ca, token: 'admin-token' })
  t.equal(r.status, 200)
  t.equal(r.headers['content-length'], undefined, 'no length: written as it is built')
  t.equal(r.headers['transfer-encoding'], 'chunked')
  const body = r.json<{ kind: string; metadata: { resourceVersion: string }; items: { metadata: { annotations: Record<string, string> } }[] }>()
  t.equal(body.kind, 'LogicalClusterList')
  t.equal(body.metadata.resourceVersion, String(Number(body.metadata.resourceVersion)), 'the envelope is intact')
  const paths = body.items.map((o) => o.metadata.annotations['kcp.io/path'])
  t.equal(paths.length, n, 'every item, across batch boundaries')
  t.same(new Set(paths).size, n, 'none twice')
  const small = await requestURL(`${url}?limit=5`, { ca, token: 'admin-token' })
  t.ok(small.headers['content-length'], 'a page is still one body with a length')

  // A client that reads the head and leaves: the shard keeps serving.
  const { request } = await import('node:https')
  await new Promise<void>((resolve, reject) => {
    const req = request(`${url}?resourceVersion=0`, { ca, headers: { authorization: 'Bearer admin-token' } }, (res) => {
      res.once('data', () => {
        req.destroy()
        resolve()
      })
    })
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)))
    req.end()
  })
  const after = await requestURL(`${url}?limit=1`, { ca, token: 'admin-token' })
  t.equal(after.status, 200, 'the shard still answers after an abandoned stream')
})
