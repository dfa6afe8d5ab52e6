// Who the shard thinks the caller is (selfsubjectreviews), under kcp's requestheader trust rules.
import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import type { Topology } from '../../src/emulator/types.js'
import { requestURL, type RequestOptions } from '../../src/emulator/client.js'
import { caFromPair, createCA } from '../../src/pki/index.js'

const topo = await startTopology({ requestHeaderAllowedNames: ['kcp-front-proxy'] })
t.teardown(() => topo.close())
const ca = topo.pki.servingCA.cert
const reviewURLOf = (at: Topology): string => `${at.root.baseURL}/clusters/root/apis/authentication.k8s.io/v1/selfsubjectreviews`
const identityHeaders = { 'X-Remote-User': 'alice', 'X-Remote-Group': ['devs', 'ops'], 'X-Remote-Extra-Authentication.kcp.io%2fScopes': 'cluster:abc' }

/** Who the shard of `at` (default: this file's topology) says the caller is. */
async function whoami(o: Omit<RequestOptions, 'ca'>, at: Topology = topo): Promise<{ status: number; user?: { username: string; groups: string[]; extra?: Record<string, string[]> }; body: string }> {
  const r = await requestURL(reviewURLOf(at), { ca: at.pki.servingCA.cert, method: 'POST', contentType: 'application/json', body: '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}', ...o })
  return r.status === 201 ? { status: r.status, user: r.json<{ status: { userInfo: { username: string; groups: string[] } } }>().status.userInfo, body: r.body } : { status: r.status, body: r.body }
}

t.test('proxy certificate + X-Remote-* headers: the headers are the identity (extra keys unescaped, lowercased)', async (t) => {
  const r = await whoami({ cert: topo.pki.proxyClient, headers: identityHeaders })
  t.equal(r.status, 201)
  t.same(r.user, { username: 'alice', groups: ['devs', 'ops', 'system:authenticated'], extra: { 'authentication.kcp.io/scopes': ['cluster:abc'] } })
})

t.test('attack: forged X-Remote-* with a bearer token are ignored, the token decides', async (t) => {
  const r = await whoami({ token: 'user-token', headers: identityHeaders })
  t.equal(r.status, 201)
  t.equal(r.user?.username, 'user')
  t.notOk(r.user?.groups.includes('devs'))
  t.notOk(r.user?.extra)
})

t.test('attack: forged X-Remote-* with a client-CA certificate are ignored, the certificate decides', async (t) => {
  const r = await whoami({ cert: topo.pki.admin, headers: identityHeaders })
  t.equal(r.user?.username, 'admin')
  t.same(r.user?.groups, ['system:masters', 'system:kcp:admin', 'system:authenticated'])
})

t.test('attack: forged X-Remote-* without any credential get 401', async (t) => {
  const r = await whoami({ headers: identityHeaders })
  t.equal(r.status, 401)
  t.same(JSON.parse(r.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 })
})

t.test('attack: a requestheader-CA certificate with a disallowed CN gets 401 even with headers', async (t) => {
  const rogue = await caFromPair(topo.pki.requestHeaderCA).issue({ commonName: 'not-the-proxy', usage: 'client' })
  const r = await whoami({ cert: rogue, headers: identityHeaders })
  t.equal(r.status, 401)
})

t.test('attack: a certificate from an unknown CA claiming CN kcp-front-proxy is not trusted', async (t) => {
  const other = await createCA('evil')
  const fake = await other.issue({ commonName: 'kcp-front-proxy', organizations: ['system:masters'], usage: 'client' })
  const r = await whoami({ cert: fake, headers: identityHeaders })
  t.equal(r.status, 401)
})

t.test('proxy certificate without identity headers falls through to other credentials', async (t) => {
  t.equal((await whoami({ cert: topo.pki.proxyClient })).status, 401)
  const r = await whoami({ cert: topo.pki.proxyClient, token: 'user-token' })
  t.equal(r.user?.username, 'user')
})

t.test('static tokens: unknown token 401, known tokens map to user/uid/groups', async (t) => {
  t.equal((await whoami({ token: 'nope' })).status, 401)
  const r = await whoami({ token: 'admin-token' })
  t.same(r.user, { username: 'admin', uid: 'admin-uid', groups: ['system:masters', 'system:authenticated'] })
})

t.test('a token added after start is accepted by every shard from then on', async (t) => {
  const minted = 'eyJhbGciOiJSUzI1NiJ9.minted-later.sig'
  t.equal((await whoami({ token: minted })).status, 401, 'unknown before')
  topo.addToken({ token: minted, user: 'late', groups: ['latecomers'] })
  t.same((await whoami({ token: minted })).user, { username: 'late', groups: ['latecomers', 'system:authenticated'] }, 'known after')
  const other = await startTopology({})
  t.teardown(() => other.close())
  t.equal((await whoami({ token: minted }, other)).status, 401, 'another topology in the same process does not accept it (the default token list is not shared state)')
})

t.test('/version, /healthz, /livez, /readyz answer without credentials; the API does not', async (t) => {
  for (const p of ['/version', '/healthz', '/livez', '/readyz']) t.equal((await requestURL(`${topo.root.baseURL}${p}`, { ca })).status, 200, p)
  t.equal((await requestURL(`${topo.root.baseURL}/clusters/root/api`, { ca })).status, 401)
})

t.test('bob is forbidden with the exact Status; unknown clusters are closed to non-masters', async (t) => {
  const base = topo.root.baseURL
  const r = await requestURL(`${base}/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces`, { ca, token: 'bob-token' })
  t.equal(r.status, 403)
  t.same(JSON.parse(r.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'workspaces.tenancy.kcp.io is forbidden: User "bob" cannot list resource "workspaces" in API group "tenancy.kcp.io" at the cluster scope', reason: 'Forbidden', details: { group: 'tenancy.kcp.io', kind: 'workspaces' }, code: 403 })
  const u = await requestURL(`${base}/clusters/nosuchcluster/api/v1/namespaces`, { ca, token: 'user-token' })
  t.equal(u.status, 403)
  t.equal(JSON.parse(u.body).message, 'forbidden: User "user" cannot get path "/api/v1/namespaces": workspace access not permitted')
  const w = await requestURL(`${base}/clusters/*/api/v1/configmaps`, { ca, token: 'user-token' })
  t.equal(w.status, 403, 'wildcard requests need system:masters')
})

t.test('system:masters writes auto-create an unknown logical cluster (strictClusters off)', async (t) => {
  const base = topo.root.baseURL
  const r = await requestURL(`${base}/clusters/adhoc/api/v1/namespaces/default/configmaps`, { ca, token: 'admin-token', method: 'POST', contentType: 'application/json', body: '{"metadata":{"name":"x"}}' })
  t.equal(r.status, 201)
  t.equal(JSON.parse(r.body).metadata.annotations['kcp.io/cluster'], 'adhoc')
  t.same(topo.resolvePath('adhoc'), { cluster: 'adhoc', shard: 'root' })
  const path = await requestURL(`${base}/clusters/root:nowhere/api/v1/namespaces/default/configmaps`, { ca, token: 'admin-token', method: 'POST', contentType: 'application/json', body: '{"metadata":{"name":"x"}}' })
  t.equal(path.status, 403, 'an unresolved workspace path is never auto-created')
  t.equal(JSON.parse(path.body).message, 'forbidden: User "admin" cannot post path "/api/v1/namespaces/default/configmaps": workspace access not permitted')
})

t.test('strictClusters: even system:masters cannot write to an unknown cluster', async (t) => {
  const strict = await startTopology({ strictClusters: true })
  t.teardown(() => strict.close())
  const r = await requestURL(`${strict.root.baseURL}/clusters/adhoc/api/v1/namespaces/default/configmaps`, { ca: strict.pki.servingCA.cert, token: 'admin-token', method: 'POST', contentType: 'application/json', body: '{"metadata":{"name":"x"}}' })
  t.equal(r.status, 403)
})

t.test('subjectaccessreviews: /metrics allowed for metrics readers and masters only', async (t) => {
  const sar = async (spec: object): Promise<boolean> => {
    const r = await requestURL(`${topo.root.baseURL}/clusters/root/apis/authorization.k8s.io/v1/subjectaccessreviews`, { ca, token: 'admin-token', method: 'POST', contentType: 'application/json', body: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec }) })
    t.equal(r.status, 201)
    return JSON.parse(r.body).status.allowed as boolean
  }
  const metrics = { nonResourceAttributes: { path: '/metrics', verb: 'get' } }
  t.equal(await sar({ ...metrics, user: 'metrics-reader' }), true)
  t.equal(await sar({ ...metrics, user: 'x', groups: ['system:kcp:metrics-readers'] }), true)
  t.equal(await sar({ ...metrics, user: 'x', groups: ['system:masters'] }), true)
  t.equal(await sar({ ...metrics, user: 'alice', groups: ['devs'] }), false)
  t.equal(await sar({ nonResourceAttributes: { path: '/metrics', verb: 'post' }, user: 'metrics-reader' }), false)
})
