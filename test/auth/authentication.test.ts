import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { Registry } from 'prom-client'
import { createCA } from '../../src/pki/index.js'
import { createAuthentication } from '../../src/auth/authentication.js'
import type { Authenticator } from '../../src/auth/types.js'
import { authentication, baseOptions, decide, LogCapture, tempDir, writeFile } from './fixtures.js'

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
    const auth = await authentication(t, baseOptions(), { logger: log.logger })
    t.same(auth.clientCAs(), [])
    const r = await decide(auth, { headers: { ...forged, authorization: 'Bearer whatever' } })
    t.equal(r.decision.kind, 'anonymous')
    t.notOk(Object.keys(r.headers).some((h) => h.toLowerCase().startsWith('x-remote-')))
    t.equal(r.headers.authorization, 'Bearer whatever', 'Authorization is passed on for the shard to validate')
  })

  t.test('client CA only, no cert: anonymous (the shard validates the bearer token)', async (t) => {
    const auth = await authentication(t, baseOptions({ clientCAFile: caFile }), { logger: log.logger })
    const r = await decide(auth, { headers: { ...forged, authorization: 'Bearer not-checked-here' } })
    t.equal(r.decision.kind, 'anonymous')
    t.notOk(Object.keys(r.headers).some((h) => h.toLowerCase().startsWith('x-remote-')))
    t.equal((await decide(auth, { cert })).decision.user?.name, 'alice', 'with cert: user')
    t.equal((await decide(auth, { cert: other })).status, 401, 'with untrusted cert: 401')
  })

  t.test('additional auth (token file), no credential: 401; token or cert: user', async (t) => {
    const auth = await authentication(t, baseOptions({ clientCAFile: caFile, tokenAuthFile: tokens }), { logger: log.logger })
    t.equal((await decide(auth)).status, 401)
    const r = await decide(auth, { headers: { authorization: 'Bearer good-token' } })
    t.equal(r.decision.user?.name, 'tom')
    t.same(r.headers['X-Remote-Group'], ['devs', 'system:authenticated'])
    t.equal((await decide(auth, { headers: { authorization: 'Bearer bad-token' } })).status, 401)
    t.equal((await decide(auth, { cert })).decision.method, 'x509')
    t.equal((await decide(auth, { cert, headers: { authorization: 'Bearer good-token' } })).decision.method, 'x509', 'x509 before bearer')
    t.equal((await decide(auth, { cert: other, headers: { authorization: 'Bearer good-token' } })).decision.method, 'token-file', 'a failing cert does not stop the bearer token (union)')
  })

  t.test('additional auth without client CA: credential-less request is 401, not anonymous', async (t) => {
    const auth = await authentication(t, baseOptions({ tokenAuthFile: tokens }), { logger: log.logger })
    const r = await decide(auth, { headers: forged })
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

t.test('a token verified within the cache TTL is decided without a promise, exactly as authenticate() decides it; everything else still goes through authenticate()', async (t) => {
  const dir = tempDir(t)
  const ca = await createCA('client-ca')
  const registry = new Registry()
  const log = new LogCapture()
  const auth = await createAuthentication(
    baseOptions({ clientCAFile: writeFile(dir, 'ca.pem', ca.cert), tokenAuthFile: writeFile(dir, 'tokens.csv', 'good-token,tom,1,"devs,system:masters"\n') }),
    { logger: log.logger, registry },
  )
  t.teardown(() => auth.close())
  const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization }, peerCertificates: [] })
  t.equal(auth.authenticateCached(req('Bearer good-token')), undefined, 'not verified yet: ask authenticate()')
  const full = await auth.authenticate(req('Bearer good-token'))
  const cached = auth.authenticateCached(req('Bearer good-token'))
  t.same(cached, full, 'then the same decision, group filter applied (system:masters dropped)')
  t.same(cached?.kind === 'user' ? cached.user.groups : [], ['devs', 'system:authenticated'])
  const cases: [string, Parameters<typeof auth.authenticateCached>[0]][] = [
    ['no credential (a 401 for authenticate())', req()],
    ['an unknown token', req('Bearer bad-token')],
    ['a malformed header', req('Bearer  good-token')],
    ['a client certificate on the connection (x509 comes first in the union)', { headers: { authorization: 'Bearer good-token' }, peerCertificates: [new X509Certificate((await ca.issue({ commonName: 'alice', usage: 'client' })).cert)] }],
  ]
  for (const [name, r] of cases) t.equal(auth.authenticateCached(r), undefined, name)
  const metrics = await registry.getSingleMetricAsString('kcp_front_proxy_authentication_total')
  t.match(metrics, /method="token-file",result="success"} 2/, 'a cached decision is counted like any other')
})

t.test('a client certificate chain its connection already proved is decided synchronously, as authenticate() decides it', async (t) => {
  const dir = tempDir(t)
  const log = new LogCapture()
  const registry = new Registry()
  const ca = await createCA('client-ca')
  const caFile = writeFile(dir, 'ca.pem', ca.cert)
  const auth = await createAuthentication(
    baseOptions({ clientCAFile: caFile, tokenAuthFile: writeFile(dir, 'tokens.csv', 'good-token,tom,1\n'), authenticationDropGroups: ['system:masters'] }),
    { logger: log.logger, registry },
  )
  t.teardown(() => auth.close())
  const leaf = new X509Certificate((await ca.issue({ commonName: 'alice', organizations: ['devs', 'system:masters'], usage: 'client' })).cert)
  // The server hands every request of one TLS connection the same chain array.
  const connection = [leaf]
  const req = { headers: { authorization: 'Bearer good-token' }, peerCertificates: connection }
  t.equal(auth.authenticateCached(req), undefined, 'not proved yet: ask authenticate()')
  const full = await auth.authenticate(req)
  t.equal(full.kind === 'user' ? full.user.name : full.kind, 'alice', 'x509 comes before the token in the union')
  const cached = auth.authenticateCached(req)
  t.same(cached, full, 'then the same decision, group filter applied')
  t.same(cached?.kind === 'user' ? cached.user.groups : [], ['devs', 'system:authenticated'])
  t.equal(auth.authenticateCached({ headers: {}, peerCertificates: [leaf] }), undefined, 'the same certificate on another connection is proved there first')
  const untrusted = [new X509Certificate((await (await createCA('other')).issue({ commonName: 'eve', usage: 'client' })).cert)]
  t.equal((await auth.authenticate({ headers: {}, peerCertificates: untrusted })).kind, 'unauthorized')
  t.equal(auth.authenticateCached({ headers: {}, peerCertificates: untrusted }), undefined, 'a refused chain is never answered synchronously')
  const metrics = await registry.getSingleMetricAsString('kcp_front_proxy_authentication_total')
  t.match(metrics, /method="x509",result="success"} 2/, 'a synchronous decision is counted like any other')

  const rhCA = await createCA('requestheader-ca')
  const withRH = await createAuthentication(
    baseOptions({ clientCAFile: caFile, requestheaderClientCAFile: writeFile(dir, 'rh.pem', rhCA.cert), requestheaderUsernameHeaders: ['X-Remote-User'] }),
    { logger: log.logger, registry: new Registry() },
  )
  t.teardown(() => withRH.close())
  const rhReq = { headers: {}, peerCertificates: [leaf] }
  t.equal((await withRH.authenticate(rhReq)).kind, 'user')
  t.equal(withRH.authenticateCached(rhReq), undefined, 'requestheader comes first in the union and is never answered synchronously')
})

t.test('identities that would break headers are refused', async (t) => {
  const dir = tempDir(t)
  const log = new LogCapture()
  const auth = await createAuthentication(baseOptions({ tokenAuthFile: writeFile(dir, 't.csv', 'tok,"bad\nname",1\n') }), { logger: log.logger, registry: new Registry() })
  t.teardown(() => auth.close())
  const d = await auth.authenticate({ headers: { authorization: 'Bearer tok' }, peerCertificates: [] })
  t.equal(d.kind, 'unauthorized')
})
