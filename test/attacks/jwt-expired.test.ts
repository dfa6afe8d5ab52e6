import t from 'tap'
import { arena, identityHeaders, nowSeconds, tryToken } from './harness.js'

t.test('JWT expired beyond the clock skew is refused (401)', async (t) => {
  const a = await arena(t)
  const tok = await a.issuer.token({ email: 'dev@example.com' }, { exp: nowSeconds() - 300 })
  const r = await tryToken(a, tok)
  t.equal(r.status, 401)
  t.match(r.decision.reason, /exp/)
  t.same(identityHeaders(r.headers), {})
})
