// createFrontProxy() against the emulated kcp topology: real shards, real controller,
// real authentication, real TLS. What reached the shard is read back from the shard's
// own SelfSubjectReview.
import t from 'tap'
import { createFrontProxy, InvalidOptionsError } from '../../src/server/index.js'
import { captureLogs } from '../proxy/fixtures/env.js'
import { h1, h2 } from '../proxy/fixtures/client.js'
import { proxyTopology } from './fixtures/topology.js'

const { files, tlsCertFile, tlsPrivateKeyFile, ca, admin } = await proxyTopology(t)
const logs = captureLogs()
const proxy = await createFrontProxy({
  proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
  secureServing: { tlsCertFile, tlsPrivateKeyFile },
  // No drop groups: system:masters (the admin certificate) must survive to be granted /metrics.
  authentication: { clientCAFile: files.clientCACert, tokenAuthFile: files.tokenCsv, authenticationDropGroups: [] },
  extra: { metricsBindAddress: '127.0.0.1:0' },
  logStream: logs.stream,
})
t.teardown(() => proxy.close())
const review = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
const reviewPath = '/clusters/root:org/apis/authentication.k8s.io/v1/selfsubjectreviews'

t.test('createFrontProxy resolves listening on 127.0.0.1 with a free port', async (t) => {
  t.match(proxy.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  t.not(proxy.port, 0)
  t.equal((await h1(`${proxy.url}/readyz`, ca)).body, 'ok')
})

t.test('forged identity headers with a client certificate: the shard sees the certificate user only (header injection attack)', async (t) => {
  const r = await h2(`${proxy.url}${reviewPath}`, ca, {
    ...admin,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-remote-user': 'mallory', 'x-remote-group': 'evil', 'x-remote-extra-foo': 'bar' },
    body: review,
  })
  t.equal(r.status, 201)
  const u = JSON.parse(r.body).status.userInfo
  t.equal(u.username, 'admin')
  t.notOk(u.groups.includes('evil'))
  t.notOk(u.extra !== undefined && 'foo' in u.extra)
})

t.test('forged identity headers with a bearer token: the token decides, not the headers (header injection attack)', async (t) => {
  const r = await h1(`${proxy.url}${reviewPath}`, ca, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bob-token', 'X-Remote-User': 'admin', 'X-Remote-Group': 'system:masters' },
    body: review,
  })
  t.equal(r.status, 201)
  const u = JSON.parse(r.body).status.userInfo
  t.equal(u.username, 'bob')
  t.notOk(u.groups.includes('system:masters'))
})

t.test('a bad token is a 401 at the proxy', async (t) => {
  const r = await h1(`${proxy.url}/clusters/root:org/api/v1/namespaces`, ca, { headers: { authorization: 'Bearer nope' } })
  t.equal(r.status, 401)
})

t.test('/metrics: 401 without credentials, 403 for a user without the grant, 200 for system:masters', async (t) => {
  const anon = await h1(`${proxy.url}/metrics`, ca)
  t.equal(anon.status, 401)
  t.equal(anon.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n')
  const bob = await h1(`${proxy.url}/metrics`, ca, { headers: { authorization: 'Bearer bob-token' } })
  t.equal(bob.status, 403)
  t.match(JSON.parse(bob.body), { kind: 'Status', reason: 'Forbidden', code: 403, message: /^forbidden: User "bob" cannot get path "\/metrics"/ })
  const ok = await h1(`${proxy.url}/metrics`, ca, admin)
  t.equal(ok.status, 200)
  t.match(ok.body, /# HELP proxy_request_duration_seconds \[ALPHA\]/)
  t.match(ok.body, /kcp_indexed_logicalclusters/)
})

t.test('the plain-HTTP metrics listener serves the same registry', async (t) => {
  t.match(proxy.metricsURL, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  const res = await fetch(proxy.metricsURL!)
  t.equal(res.status, 200)
  t.match(await res.text(), /kcp_front_proxy_active_watches/)
})

t.test('health endpoints answer in the k8s healthz formats and bypass the proxy pipeline', async (t) => {
  const live = await h1(`${proxy.url}/livez?verbose`, ca)
  t.equal(live.body, '[+]ping ok\nlivez check passed\n')
  t.equal(live.headers['content-type'], 'text/plain; charset=utf-8')
  t.equal(live.headers['x-content-type-options'], 'nosniff')
  t.equal((await h1(`${proxy.url}/livez/ping`, ca)).body, 'ok')
  const ready = await h1(`${proxy.url}/readyz?verbose`, ca)
  t.equal(ready.status, 200)
  t.match(ready.body, /^\[\+\]shutdown ok\n/)
  t.match(ready.body, /readyz check passed\n$/)
  t.equal((await h1(`${proxy.url}/readyz/shutdown`, ca)).body, 'ok')
  t.equal((await h1(`${proxy.url}/readyz/nope`, ca)).status, 404)
  t.notOk(logs.lines().some((l) => l.msg === 'request' && String(l.path).startsWith('/readyz')), 'no proxy request log for health')
})

t.test('invalid options are all reported at once', async (t) => {
  const e = await createFrontProxy({ proxy: {} }).catch((e: unknown) => e)
  t.type(e, InvalidOptionsError)
  t.ok((e as InvalidOptionsError).errors.length >= 2)
  t.match((e as Error).message, /--mapping-file is required/)
  t.match((e as Error).message, /--shards-kubeconfig is required/)
})
