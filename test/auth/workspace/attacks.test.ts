// Attacks on per-workspace authentication, at the authenticator (the pipeline wiring is tested
// with the request path). Each must end in 401 or a harmless identity, never a crash, never a
// privileged or global identity, and never a token in the logs.
import t from 'tap'
import { generateKeyPair, SignJWT } from 'jose'
import { tempDir, TestIssuer } from '../fixtures.js'
import { bearer, decide, jwtFor, setup } from './fixtures.js'

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')

t.test('attacks at the workspace authenticator', async (t) => {
  const dir = tempDir(t)
  const [good, evil] = await Promise.all([TestIssuer.start(t, dir), TestIssuer.start(t, dir)])
  const s = await setup(t, { apiAudiences: ['kcp'] })
  s.putWAC('good', [jwtFor(good, { claimMappings: { username: { claim: 'email', prefix: '' }, groups: { claim: 'groups', prefix: '' }, extra: [{ key: 'example.com/scopes', valueExpression: "claims.?scopes.orValue([])" }, { key: 'authentication.kcp.io/scopes', valueExpression: "claims.?scopes.orValue([])" }] } })])
  s.putWAC('rules', [jwtFor(evil, { claimValidationRules: [{ expression: 'claims.level > 2', message: 'level too low' }] })])
  const type = s.putType('t', ['good'])
  const ruled = s.putType('ruled', ['rules'])
  await s.workspace.settled()
  const now = Math.floor(Date.now() / 1000)
  const tokens: string[] = []
  const as = async (token: string, tp = type) => {
    tokens.push(token)
    return decide(s, tp, 'victim-lc', bearer(token))
  }

  t.test('alg none', async (t) => {
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: good.url, aud: 'kcp', email: 'admin@example.com', exp: now + 600 })}.`
    const d = await as(none)
    t.equal(d.kind, 'unauthorized')
    t.match(d.kind === 'unauthorized' ? d.reason : '', /signing algorithm none not allowed/)
  })

  t.test("another issuer's key (iss says good, signed by evil)", async (t) => {
    const d = await as(await evil.token({ email: 'admin@example.com' }, { iss: good.url, kid: 'k1' }))
    t.equal(d.kind, 'unauthorized')
  })

  t.test('HS256 signed with the public key', async (t) => {
    const pub = JSON.stringify(good.keys[0].jwk)
    const forged = await new SignJWT({ email: 'admin@example.com' }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(good.url).setAudience('kcp').setExpirationTime(now + 600).sign(new TextEncoder().encode(pub))
    t.equal((await as(forged)).kind, 'unauthorized')
  })

  t.test('a key the issuer never published (unknown kid)', async (t) => {
    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT({ email: 'admin@example.com' }).setProtectedHeader({ alg: 'RS256', kid: 'rogue' }).setIssuer(good.url).setAudience('kcp').setExpirationTime(now + 600).sign(privateKey)
    t.equal((await as(forged)).kind, 'unauthorized')
  })

  t.test('expired, and not for this API (--api-audiences)', async (t) => {
    t.equal((await as(await good.token({ email: 'e@example.com' }, { exp: now - 3600 }))).kind, 'unauthorized')
    const wrongAud = await as(await good.token({ email: 'e@example.com' }, { aud: 'other' }))
    t.equal(wrongAud.kind, 'unauthorized', 'aud other: not the WAC audience')
    s.putWAC('corp', [jwtFor(good, { issuer: { url: good.url, certificateAuthority: good.ca.cert, audiences: ['corp'] } })])
    const corp = s.putType('corp', ['corp'])
    await s.workspace.settled()
    const signed = (aud: string[]) => new SignJWT({ email: 'c@example.com' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(good.url).setAudience(aud).setExpirationTime(now + 600).sign(good.keys[0].privateKey)
    const onlyCorp = await as(await signed(['corp']), corp)
    t.match(onlyCorp.kind === 'unauthorized' ? onlyCorp.reason : '', /none of its audiences is one of --api-audiences/, 'the WAC audience alone is not enough')
    t.equal((await as(await signed(['corp', 'kcp']), corp)).kind, 'user', 'both audiences: accepted (kcp docs)')
  })

  t.test('system:masters in the groups claim of an unprefixed WAC', async (t) => {
    const d = await as(await good.token({ email: 'mallory@example.com', groups: ['system:masters', 'system:kcp:logical-cluster-admin', 'devs'] }))
    t.same(d.kind === 'user' ? d.user.groups : undefined, ['devs', 'system:authenticated'])
  })

  t.test('kcp.io extras from claims, and a scope for another cluster', async (t) => {
    const d = await as(await good.token({ email: 'mallory@example.com', scopes: ['cluster:root'] }))
    t.same(d.kind === 'user' ? d.user.extra : undefined, {
      'example.com/scopes': ['cluster:root'],
      'authentication.kcp.io/scopes': ['cluster:victim-lc'],
      'authentication.kcp.io/cluster-name': ['victim-lc'],
    })
  })

  t.test('a token of one workspace type in another', async (t) => {
    const token = await good.token({ email: 'a@example.com' })
    t.equal((await as(token, ruled)).kind, 'unauthorized')
    t.equal((await as(token)).kind, 'user')
  })

  t.test('validation rule failing and erroring: 401, never a crash', async (t) => {
    const low = await as(await evil.token({ email: 'a@example.com', level: 1 }), ruled)
    t.match(low.kind === 'unauthorized' ? low.reason : '', /validation expression 'claims.level > 2' failed: level too low/)
    const missing = await as(await evil.token({ email: 'a@example.com' }), ruled)
    t.match(missing.kind === 'unauthorized' ? missing.reason : '', /error evaluating claim validation expression: No such key: level/)
    const wrongType = await as(await evil.token({ email: 'a@example.com', level: 'high' }), ruled)
    t.equal(wrongType.kind, 'unauthorized')
    const ok = await as(await evil.token({ email: 'a@example.com', level: 3 }), ruled)
    t.equal(ok.kind, 'user')
  })

  t.test('malformed and oversized tokens', async (t) => {
    t.equal((await as('a.b.c')).kind, 'unauthorized')
    t.equal((await as(`${b64({ alg: 'RS256' })}.!!!.x`)).kind, 'unauthorized')
    t.equal((await as('x'.repeat(70 * 1024))).kind, 'unauthorized')
  })

  t.test('key rotation: a token signed with a new key verifies after one JWKS refresh', async (t) => {
    await good.addKey('k2')
    const before = good.jwksFetches
    const d = await as(await good.token({ email: 'rotated@example.com' }, { kid: 'k2' }))
    t.equal(d.kind, 'user')
    t.equal(good.jwksFetches, before + 1)
    t.equal((await as(await good.token({ email: 'old@example.com' }, { kid: 'k1' }))).kind, 'user', 'the old key still verifies')
  })

  t.test('no token appeared in the logs', async (t) => {
    for (const tok of tokens) t.notOk(s.log.text.includes(tok.slice(0, 40)))
  })
})
