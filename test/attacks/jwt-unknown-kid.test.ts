import t from 'tap'
import { generateKeyPair, SignJWT } from 'jose'
import { arena, tryToken } from './harness.js'

t.test('JWT with an unknown kid is refused after one JWKS refresh (401)', async (t) => {
  const a = await arena(t)
  const { privateKey } = await generateKeyPair('RS256')
  const before = a.issuer.jwksFetches
  const tok = await new SignJWT({ email: 'admin@example.com' }).setProtectedHeader({ alg: 'RS256', kid: 'forged-kid' }).setIssuer(a.issuer.url).setAudience('kcp').setExpirationTime('10m').sign(privateKey)
  const r = await tryToken(a, tok)
  t.equal(r.status, 401)
  t.ok(a.issuer.jwksFetches >= before + 1, 'the proxy looked for a rotated key')
  t.ok(a.issuer.jwksFetches <= before + 2, 'but only once per request')
})
