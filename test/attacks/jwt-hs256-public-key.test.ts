// Algorithm confusion: a JWT HS256-signed with the issuer's *public* key (PEM, JWK JSON or raw
// modulus as the HMAC secret) must not verify: 401 at the proxy, the shard never asked.
import t from 'tap'
import { createPublicKey } from 'node:crypto'
import { SignJWT } from 'jose'
import { arena, bearer, forged, protocols, refused } from './arena.js'

const a = await arena(t)

for (const p of protocols) {
  t.test(`JWT HS256-signed with the issuer's public key (algorithm confusion) is refused (${p}): 401`, async (t) => {
    const jwk = a.issuer!.keys[0].jwk
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
    for (const secret of [Buffer.from(pem), Buffer.from(JSON.stringify(jwk)), Buffer.from(jwk.n!, 'base64url')]) {
      const tok = await new SignJWT({ email: 'admin@example.com' })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setIssuer(a.issuer!.url)
        .setAudience('kcp')
        .setExpirationTime('10m')
        .sign(secret)
      t.match(await refused(t, a, p, { headers: { ...bearer(tok), ...forged } }), /not allowed/)
    }
  })
}
