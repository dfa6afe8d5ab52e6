import t from 'tap'
import { arena, nowSeconds, tryToken } from './harness.js'

t.test('JWT not yet valid (nbf in the future beyond skew) is refused (401)', async (t) => {
  const a = await arena(t)
  const tok = await a.issuer.token({ email: 'dev@example.com' }, { nbf: nowSeconds() + 300 })
  const r = await tryToken(a, tok)
  t.equal(r.status, 401)
  t.match(r.decision.reason, /nbf/)
})
