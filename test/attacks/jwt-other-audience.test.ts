import t from 'tap'
import { arena, tryToken } from './harness.js'

t.test('JWT for another audience (client id) is refused (401)', async (t) => {
  const a = await arena(t)
  const r = await tryToken(a, await a.issuer.token({ email: 'dev@example.com' }, { aud: 'some-other-app' }))
  t.equal(r.status, 401)
  t.match(r.decision.reason, /aud/)
})
