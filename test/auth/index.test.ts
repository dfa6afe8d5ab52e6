import t from 'tap'
import { Registry } from 'prom-client'
import { createCA } from '../../src/pki/index.js'
import { createAuthentication } from '../../src/auth/index.js'
import type { Authenticator } from '../../src/auth/types.js'
import { baseOptions, call, LogCapture, startEchoServer, tempDir, writeFile } from './fixtures.js'

const forged = { 'X-Remote-User': 'admin', 'x-remote-group': 'system:masters', 'X-Remote-Extra-Scopes': 'cluster:*' }

t.test('optional-auth matrix (spec §5.1): cert / no cert × additional auth off / on', async (t) => {
  const dir = tempDir(t)
  const ca = await createCA('client-ca')
  const caFile = writeFile(dir, 'ca.pem', ca.cert)
  const tokens = writeFile(dir, 'tokens.csv', 'good-token,tom,1,"devs"\n')
  const cert = await ca.issue({ commonName: 'alice', usage: 'client' })
  const other = await (await createCA('other')).issue({ commonName: 'eve', usage: 'client' })
  const log = new LogCapture()

  t.test('no authenticator configured: anonymous, forged headers stripped', async (t) => {
    const srv = await startEchoServer(t, baseOptions(), { logger: log.logger })
    t.same(srv.auth.clientCAs(), [])
    const r = await call(srv, { headers: { ...forged, authorization: 'Bearer whatever' } })
    t.equal(r.decision.kind, 'anonymous')
    t.notOk(Object.keys(r.headers).some((h) => h.toLowerCase().startsWith('x-remote-')))
    t.equal(r.headers.authorization, 'Bearer whatever', 'Authorization is passed on for the shard to validate')
  })

  t.test('client CA only, no cert: anonymous (the shard validates the bearer token)', async (t) => {
    const srv = await startEchoServer(t, baseOptions({ clientCAFile: caFile }), { logger: log.logger })
    const r = await call(srv, { headers: { ...forged, authorization: 'Bearer not-checked-here' } })
    t.equal(r.decision.kind, 'anonymous')
    t.notOk(Object.keys(r.headers).some((h) => h.toLowerCase().startsWith('x-remote-')))
    t.equal((await call(srv, { cert })).decision.user?.name, 'alice', 'with cert: user')
    t.equal((await call(srv, { cert: other })).status, 401, 'with untrusted cert: 401')
  })

  t.test('additional auth (token file), no credential: 401; token or cert: user', async (t) => {
    const srv = await startEchoServer(t, baseOptions({ clientCAFile: caFile, tokenAuthFile: tokens }), { logger: log.logger })
    t.equal((await call(srv)).status, 401)
    const r = await call(srv, { headers: { authorization: 'Bearer good-token' } })
    t.equal(r.decision.user?.name, 'tom')
    t.same(r.headers['X-Remote-Group'], ['devs', 'system:authenticated'])
    t.equal((await call(srv, { headers: { authorization: 'Bearer bad-token' } })).status, 401)
    t.equal((await call(srv, { cert })).decision.method, 'x509')
    t.equal((await call(srv, { cert, headers: { authorization: 'Bearer good-token' } })).decision.method, 'x509', 'x509 before bearer')
    t.equal((await call(srv, { cert: other, headers: { authorization: 'Bearer good-token' } })).decision.method, 'token-file', 'a failing cert does not stop the bearer token (union)')
  })

  t.test('additional auth without client CA: credential-less request is 401, not anonymous', async (t) => {
    const srv = await startEchoServer(t, baseOptions({ tokenAuthFile: tokens }), { logger: log.logger })
    const r = await call(srv, { headers: forged })
    t.equal(r.status, 401)
    t.equal(r.decision.kind, 'unauthorized')
  })
  t.test('no credential appeared in the logs', async (t) => {
    t.notMatch(log.text, /good-token|bad-token|not-checked-here|PRIVATE KEY/)
  })
})

t.test('a per-workspace authenticator forces authentication and plugs into the union', async (t) => {
  const registry = new Registry()
  const log = new LogCapture()
  const auth = await createAuthentication(baseOptions(), { logger: log.logger, registry })
  t.teardown(() => auth.close())
  const ws: Authenticator = {
    name: 'workspace',
    authenticate: async (req) => (req.headers.authorization === 'Bearer ws' ? { name: 'oidc:dev', groups: ['oidc:devs', 'system:masters'], extra: {} } : null),
  }
  const none = await auth.authenticate({ headers: {}, peerCertificates: [] }, { workspaceAuthenticator: ws })
  t.equal(none.kind, 'unauthorized')
  const d = await auth.authenticate({ headers: { authorization: 'Bearer ws' }, peerCertificates: [] }, { workspaceAuthenticator: ws })
  t.same(d, { kind: 'user', method: 'workspace', user: { name: 'oidc:dev', groups: ['oidc:devs'], extra: {} } })
  t.equal((await auth.authenticate({ headers: {}, peerCertificates: [] })).kind, 'anonymous')
  const metrics = await registry.getSingleMetricAsString('kcp_front_proxy_authentication_total')
  t.match(metrics, /method="workspace",result="success"} 1/)
  t.match(metrics, /method="none",result="failure"} 1/)
  t.match(metrics, /method="none",result="anonymous"} 1/)
})

t.test('unsupported authentication sources are startup errors, not silently ignored', async (t) => {
  const log = new LogCapture()
  await t.rejects(createAuthentication(baseOptions({ authenticationConfig: '/x.yaml' }), { logger: log.logger, registry: new Registry() }), /--authentication-config is not supported/)
  await t.rejects(createAuthentication(baseOptions({ authenticationTokenWebhookConfigFile: '/x' }), { logger: log.logger, registry: new Registry() }), /webhook/)
})

t.test('identities that would break headers are refused', async (t) => {
  const dir = tempDir(t)
  const log = new LogCapture()
  const auth = await createAuthentication(baseOptions({ tokenAuthFile: writeFile(dir, 't.csv', 'tok,"bad\nname",1\n') }), { logger: log.logger, registry: new Registry() })
  t.teardown(() => auth.close())
  const d = await auth.authenticate({ headers: { authorization: 'Bearer tok' }, peerCertificates: [] })
  t.equal(d.kind, 'unauthorized')
})
