import t from 'tap'
import { arena, b64url, nowSeconds, tryToken } from './harness.js'

t.test('JWT with alg "none" (unsigned) is refused (401)', async (t) => {
  const a = await arena(t)
  const payload = { iss: a.issuer.url, aud: 'kcp', email: 'admin@example.com', exp: nowSeconds() + 600 }
  for (const tok of [`${b64url({ alg: 'none', kid: 'k1' })}.${b64url(payload)}.`, `${b64url({ alg: 'none' })}.${b64url(payload)}.`, `${b64url({ alg: 'None', kid: 'k1' })}.${b64url(payload)}.x`]) {
    const r = await tryToken(a, tok)
    t.equal(r.status, 401, tok.slice(0, 20))
  }
})
