// Write semantics and their exact Status bodies (spec kube-api §6, §7).
import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { requestURL } from '../../src/emulator/client.js'

const topo = await startTopology()
t.teardown(() => topo.close())
const ca = topo.pki.servingCA.cert
const root = `${topo.root.baseURL}/clusters/root`
const cms = `${root}/api/v1/namespaces/default/configmaps`
// Untyped JSON from the server, read field by field in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>

async function call(method: string, url: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: Body }> {
  const r = await requestURL(url, { ca, token: 'admin-token', method, contentType, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) })
  return { status: r.status, body: r.body.startsWith('{') ? JSON.parse(r.body) : { text: r.body } }
}

t.test('create sets server fields; duplicates get the exact AlreadyExists Status', async (t) => {
  const c = await call('POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', resourceVersion: '5' }, data: { a: 'b' } })
  t.equal(c.status, 201)
  t.match(c.body.metadata, { name: 'x', namespace: 'default', uid: /^[0-9a-f-]{36}$/, creationTimestamp: /Z$/, resourceVersion: /^\d+$/, annotations: { 'kcp.io/cluster': 'root' } })
  t.not(c.body.metadata.resourceVersion, '5')
  const dup = await call('POST', cms, { metadata: { name: 'x' } })
  t.same(dup, { status: 409, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "x" already exists', reason: 'AlreadyExists', details: { name: 'x', kind: 'configmaps' }, code: 409 } })
})

t.test('NotFound, Invalid name, missing namespace, MethodNotAllowed, UnsupportedMediaType', async (t) => {
  t.same((await call('GET', `${cms}/nope`)).body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'configmaps' }, code: 404 })
  const inv = await call('POST', cms, { metadata: { name: 'Bad_Name' } })
  t.equal(inv.status, 422)
  t.match(inv.body, { reason: 'Invalid', message: /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/, details: { name: 'Bad_Name', kind: 'ConfigMap', causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }] } })
  const nons = await call('POST', `${root}/api/v1/namespaces/nons/configmaps`, { metadata: { name: 'y' } })
  t.same(nons.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'namespaces "nons" not found', reason: 'NotFound', details: { name: 'nons', kind: 'namespaces' }, code: 404 })
  t.same((await call('POST', `${cms}/x`, {})).body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed', details: {}, code: 405 })
  const ws404 = await call('GET', `${root}/apis/tenancy.kcp.io/v1alpha1/workspaces/nope`)
  t.same(ws404.body.details, { name: 'nope', group: 'tenancy.kcp.io', kind: 'workspaces' })
  t.equal(ws404.body.message, 'workspaces.tenancy.kcp.io "nope" not found')
  const u = await call('POST', cms, 'x', 'text/plain')
  t.equal(u.status, 415)
  t.equal(u.body.reason, 'UnsupportedMediaType')
  const p = await call('PATCH', `${cms}/x`, '{}', 'application/xml')
  t.equal(p.status, 415)
  t.equal((await call('GET', `${root}/api/v1/nosuchthings`)).body.text, '404 page not found\n')
})

t.test('update: stale RV is a Conflict, no-op keeps the RV, missing object is 404', async (t) => {
  const cur = (await call('GET', `${cms}/x`)).body
  const ok = await call('PUT', `${cms}/x`, { ...cur, data: { a: 'c' } })
  t.equal(ok.status, 200)
  const stale = await call('PUT', `${cms}/x`, { ...cur, data: { a: 'd' } })
  t.same(stale.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply your changes to the latest version and try again', reason: 'Conflict', details: { name: 'x', kind: 'configmaps' }, code: 409 })
  const same = await call('PUT', `${cms}/x`, ok.body)
  t.equal(same.body.metadata.resourceVersion, ok.body.metadata.resourceVersion, 'a no-op update keeps the RV')
  t.equal((await call('PUT', `${cms}/missing`, { metadata: { name: 'missing' } })).status, 404)
  t.equal((await call('PUT', `${cms}/x`, { metadata: { name: 'other' } })).status, 400)
})

t.test('patch types: merge, strategic, json, apply (creates), unknown → 415', async (t) => {
  t.same((await call('PATCH', `${cms}/x`, { data: { m: '1' } }, 'application/merge-patch+json')).body.data, { a: 'c', m: '1' })
  t.same((await call('PATCH', `${cms}/x`, { data: { m: null, s: '2' } }, 'application/strategic-merge-patch+json')).body.data, { a: 'c', s: '2' })
  t.same((await call('PATCH', `${cms}/x`, [{ op: 'remove', path: '/data/a' }], 'application/json-patch+json')).body.data, { s: '2' })
  t.equal((await call('PATCH', `${cms}/x`, [{ op: 'test', path: '/data/s', value: 'nope' }], 'application/json-patch+json')).status, 422)
  t.equal((await call('PATCH', `${cms}/absent`, { data: {} }, 'application/merge-patch+json')).status, 404)
  const ssa = await call('PATCH', `${cms}/applied?fieldManager=test`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: v\n', 'application/apply-patch+yaml')
  t.equal(ssa.status, 201)
  t.equal((await call('PATCH', `${cms}/applied?fieldManager=test`, '{"data":{"k":"w"}}', 'application/apply-patch+yaml')).status, 200)
  t.equal((await call('PATCH', `${cms}/applied`, '{"data":{}}', 'application/apply-patch+yaml')).status, 400, 'apply needs a fieldManager')
  t.equal((await call('PATCH', `${root}/apis/tenancy.kcp.io/v1alpha1/workspaces/x`, {}, 'application/strategic-merge-patch+json')).status, 404)
})

t.test('delete: Status Success for built-ins, preconditions, dryRun, finalizers', async (t) => {
  await call('POST', cms, { metadata: { name: 'd1' } })
  const dry = await call('DELETE', `${cms}/d1?dryRun=All`)
  t.equal(dry.status, 200)
  t.equal((await call('GET', `${cms}/d1`)).status, 200, 'dryRun kept it')
  const pre = await call('DELETE', `${cms}/d1`, { preconditions: { uid: 'not-it' } })
  t.equal(pre.status, 409, JSON.stringify(pre.body))
  t.match(pre.body.message, /Precondition failed: UID in precondition: not-it/)
  const d = await call('DELETE', `${cms}/d1`, { propagationPolicy: 'Background' })
  t.match(d.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'd1', kind: 'configmaps', uid: /./ } })
  t.equal((await call('DELETE', `${cms}/d1`)).status, 404)
  await call('POST', cms, { metadata: { name: 'held', finalizers: ['example.com/hold'] } })
  const held = await call('DELETE', `${cms}/held`)
  t.ok(held.body.metadata.deletionTimestamp, 'held by a finalizer: the object comes back with deletionTimestamp')
  t.equal((await call('GET', `${cms}/held`)).status, 200)
  await call('PATCH', `${cms}/held`, { metadata: { finalizers: null } }, 'application/merge-patch+json')
  t.equal((await call('GET', `${cms}/held`)).status, 404, 'removing the last finalizer deletes it')
})

t.test('generateName, dryRun create, secrets stringData, namespaces cascade', async (t) => {
  const g = await call('POST', cms, { metadata: { generateName: 'gen-' } })
  t.match(g.body.metadata.name, /^gen-[a-z0-9]{5}$/)
  t.equal((await call('POST', `${cms}?dryRun=All`, { metadata: { name: 'dry' } })).status, 201)
  t.equal((await call('GET', `${cms}/dry`)).status, 404)
  const s = await call('POST', `${root}/api/v1/namespaces/default/secrets`, { metadata: { name: 's' }, stringData: { k: 'v' } })
  t.same(s.body.data, { k: 'dg==' })
  t.equal(s.body.stringData, undefined)
  await call('POST', `${root}/api/v1/namespaces`, { metadata: { name: 'tmp' } })
  await call('POST', `${root}/api/v1/namespaces/tmp/configmaps`, { metadata: { name: 'inside' } })
  const del = await call('DELETE', `${root}/api/v1/namespaces/tmp`)
  t.equal(del.body.status.phase, 'Terminating')
  t.equal((await call('GET', `${root}/api/v1/namespaces/tmp/configmaps/inside`)).status, 404)
})

t.test('status subresource: the main resource ignores .status, /status changes only .status', async (t) => {
  const ws = await topo.createWorkspace('root', 'statusy')
  const url = `${root}/apis/tenancy.kcp.io/v1alpha1/workspaces/statusy`
  const cur = (await call('GET', url)).body
  const main = await call('PUT', url, { ...cur, metadata: { ...cur.metadata, labels: { l: '1' } }, status: { phase: 'Unavailable' } })
  t.equal(main.body.status.phase, 'Ready')
  t.same(main.body.metadata.labels, { l: '1' })
  const st = await call('PUT', `${url}/status`, { ...main.body, metadata: { ...main.body.metadata, labels: {} }, status: { ...main.body.status, phase: 'Unavailable' } })
  t.equal(st.body.status.phase, 'Unavailable')
  t.same(st.body.metadata.labels, { l: '1' })
  t.equal(ws.path, 'root:statusy')
})

t.test('deletecollection with a label selector returns the deleted objects', async (t) => {
  await call('POST', cms, { metadata: { name: 'dc1', labels: { batch: 'b' } } })
  await call('POST', cms, { metadata: { name: 'dc2', labels: { batch: 'b' } } })
  const r = await call('DELETE', `${cms}?labelSelector=batch%3Db`)
  t.same(r.body.items.map((o: { metadata: { name: string } }) => o.metadata.name), ['dc1', 'dc2'])
  t.equal(r.body.kind, 'ConfigMapList')
})
