import t from 'tap'
import { createPublicKey } from 'node:crypto'
import { SignJWT } from 'jose'
import { arena, tryToken } from './harness.js'

t.test('JWT HS256-signed with the issuer\'s public key (algorithm confusion) is refused (401)', async (t) => {
  const a = await arena(t)
  const jwk = a.issuer.keys[0].jwk
  const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
  for (const secret of [Buffer.from(pem), Buffer.from(JSON.stringify(jwk)), Buffer.from(jwk.n!, 'base64url')]) {
    const tok = await new SignJWT({ email: 'admin@example.com' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(a.issuer.url)
      .setAudience('kcp')
      .setExpirationTime('10m')
      .sign(secret)
    const r = await tryToken(a, tok)
    t.equal(r.status, 401)
    t.match(r.decision.reason, /not allowed/)
  }
})
