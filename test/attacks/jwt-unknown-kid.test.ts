// A JWT naming a key the issuer never published (forged kid) is refused: 401 at the proxy, the
// shard never asked. Nor can a flood of such tokens make the proxy hammer the issuer: unknown
// kids trigger at most one JWKS refresh per cool-down (10 s; key rotation itself, the refresh
// that finds a new key, is tested against createAuthentication in test/auth/oidc.test.ts).
import t from 'tap'
import { generateKeyPair, SignJWT } from 'jose'
import { arena, bearer, forged, protocols, refused, servedAs } from './arena.js'

const a = await arena(t)

t.test('JWT with an unknown kid is refused (401), and a flood of them costs the issuer at most one JWKS fetch', async (t) => {
  // The keys are fetched once they are needed: a valid token first, so the warm-up is over.
  await servedAs(t, a, 'HTTP/1.1', { headers: bearer(await a.issuer!.token({ email: 'dev@example.com' })) }, { username: 'dev@example.com', groups: ['system:authenticated'] })
  const { privateKey } = await generateKeyPair('RS256')
  const before = a.issuer!.jwksFetches
  for (let i = 0; i < 10; i++) {
    const tok = await new SignJWT({ email: 'admin@example.com' }).setProtectedHeader({ alg: 'RS256', kid: `forged-kid-${i}` }).setIssuer(a.issuer!.url).setAudience('kcp').setExpirationTime('10m').sign(privateKey)
    await refused(t, a, protocols[i % 2], { headers: { ...bearer(tok), ...forged } }, `forged kid ${i}`)
  }
  t.ok(a.issuer!.jwksFetches <= before + 1, `the issuer was asked for keys at most once (${a.issuer!.jwksFetches - before} times)`)
})
