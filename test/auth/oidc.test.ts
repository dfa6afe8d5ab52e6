import t from 'tap'
import { Registry } from 'prom-client'
import { createAuthentication, type Authentication } from '../../src/auth/index.js'
import { OIDCAuthenticator, userFromClaims, usernamePrefix } from '../../src/auth/oidc.js'
import type { OIDCIssuerOptions } from '../../src/config/types.js'
import { baseOptions, LogCapture, tempDir, TestIssuer } from './fixtures.js'

const bearer = (tok: string) => ({ headers: { authorization: `Bearer ${tok}` }, peerCertificates: [] })

function issuerOpts(iss: TestIssuer, over: Partial<OIDCIssuerOptions> = {}): OIDCIssuerOptions {
  return { issuerURL: iss.url, clientID: 'kcp', caFile: iss.caFile, usernameClaim: 'email', usernamePrefix: '', groupsClaim: 'groups', groupsPrefix: 'oidc:', signingAlgs: ['RS256'], requiredClaims: {}, ...over }
}

t.test('username prefix rule (k8s): issuer# for non-email claims unless given; - means none', async (t) => {
  const cases: [string, string, string][] = [
    ['sub', '', 'https://i#'],
    ['email', '', ''],
    ['sub', '-', ''],
    ['email', 'oidc:', 'oidc:'],
    ['name', 'p:', 'p:'],
  ]
  for (const [claim, prefix, want] of cases) t.equal(usernamePrefix({ issuerURL: 'https://i', usernameClaim: claim, usernamePrefix: prefix }), want, `${claim}/${prefix}`)
})

t.test('claims to user: email_verified, groups string or array, required claims', async (t) => {
  const o: OIDCIssuerOptions = { issuerURL: 'https://i', clientID: 'c', caFile: '', usernameClaim: 'email', usernamePrefix: '', groupsClaim: 'groups', groupsPrefix: 'g:', signingAlgs: [], requiredClaims: { hd: 'example.com' } }
  t.same(userFromClaims({ email: 'a@x', groups: ['x', 'y'], hd: 'example.com' }, o), { name: 'a@x', groups: ['g:x', 'g:y'], extra: {} })
  t.same(userFromClaims({ email: 'a@x', email_verified: true, groups: 'x', hd: 'example.com' }, o).groups, ['g:x'])
  t.throws(() => userFromClaims({ email: 'a@x', email_verified: false, hd: 'example.com' }, o), /email not verified/)
  t.throws(() => userFromClaims({ email: 'a@x', hd: 'other' }, o), /required claim "hd"/)
  t.throws(() => userFromClaims({ email: 'a@x', groups: [1], hd: 'example.com' }, o), /groups claim/)
  t.throws(() => userFromClaims({ sub: 'x', hd: 'example.com' }, o), /claim "email" not present/)
})

t.test('OIDC end to end against a loopback issuer', async (t) => {
  const dir = tempDir(t)
  const iss = await TestIssuer.start(t, dir)
  const log = new LogCapture()
  const auth = await createAuthentication(baseOptions({ oidcIssuers: [issuerOpts(iss)] }), { logger: log.logger, registry: new Registry(), oidcTiming: { cooldownMs: 0 } })
  t.teardown(() => auth.close())

  const good = await iss.token({ email: 'dev@example.com', groups: ['devs'] })
  const d = await auth.authenticate(bearer(good))
  t.same(d, { kind: 'user', method: 'oidc', user: { name: 'dev@example.com', groups: ['oidc:devs', 'system:authenticated'], extra: {} } })

  t.test('key rotation: a token signed by a new kid verifies after one JWKS refresh', async (t) => {
    await iss.addKey('k2')
    const before = iss.jwksFetches
    const tok = await iss.token({ email: 'rot@example.com' }, { kid: 'k2' })
    t.equal((await auth.authenticate(bearer(tok))).kind, 'user')
    t.equal(iss.jwksFetches, before + 1)
  })

  t.test('issuer down: cached keys keep verifying, unknown keys fail closed', async (t) => {
    await iss.stop()
    const cached = await iss.token({ email: 'cached@example.com' }, { kid: 'k1' })
    t.equal((await auth.authenticate(bearer(cached))).kind, 'user')
    await iss.addKey('k3')
    const unknown = await iss.token({ email: 'new@example.com' }, { kid: 'k3' })
    t.equal((await auth.authenticate(bearer(unknown))).kind, 'unauthorized')
    await iss.listen()
    t.equal((await auth.authenticate(bearer(unknown))).kind, 'user', 'recovers when the issuer is back (failures are not cached)')
  })
  t.test('logs hold no token', async (t) => {
    t.notMatch(log.text, /eyJ/)
  })
})

t.test('more than one issuer: the verifier is picked by iss', async (t) => {
  const dir = tempDir(t)
  const a = await TestIssuer.start(t, dir)
  const b = await TestIssuer.start(t, dir)
  const log = new LogCapture()
  let auth: Authentication | undefined = await createAuthentication(
    baseOptions({ oidcIssuerURL: a.url, oidcClientID: 'kcp', oidcCAFile: a.caFile, oidcIssuers: [issuerOpts(b, { usernameClaim: 'sub', usernamePrefix: 'b:' })] }),
    { logger: log.logger, registry: new Registry() },
  )
  t.teardown(() => auth?.close())
  const ta = await a.token({ sub: 'alice' })
  const tb = await b.token({ sub: 'bob' })
  const da = await auth.authenticate(bearer(ta))
  t.equal(da.kind === 'user' ? da.user.name : '', `${a.url}#alice`, 'flag issuer: default issuer# prefix')
  const db = await auth.authenticate(bearer(tb))
  t.equal(db.kind === 'user' ? db.user.name : '', 'b:bob')
  // b's key cannot sign for a's issuer.
  const forged = await b.token({ sub: 'mallory' }, { iss: a.url })
  t.equal((await auth.authenticate(bearer(forged))).kind, 'unauthorized')
  await auth.close()
  auth = undefined
})

// URLs, client IDs and duplicates are validateOptions()' (test/config/validate.test.ts); the
// verifier still keeps symmetric algorithms away from jose and names an unreadable CA file.
t.test('a symmetric or missing signature algorithm and an unreadable CA are refused at startup', async (t) => {
  const log = new LogCapture()
  const base: OIDCIssuerOptions = { issuerURL: 'https://x', clientID: 'c', caFile: '', usernameClaim: 'sub', usernamePrefix: '', groupsClaim: '', groupsPrefix: '', signingAlgs: ['RS256'], requiredClaims: {} }
  t.throws(() => new OIDCAuthenticator([{ ...base, signingAlgs: ['HS256'] }], log.logger), /HS256.*not supported/)
  t.throws(() => new OIDCAuthenticator([{ ...base, signingAlgs: ['none'] }], log.logger), /not supported/)
  t.throws(() => new OIDCAuthenticator([{ ...base, caFile: '/nope/ca.pem' }], log.logger), /\/nope\/ca\.pem/)
})
