import t from 'tap'
import { TestIssuer, tempDir } from '../auth/fixtures.js'
import { arena, tryToken } from './harness.js'

t.test('JWT from an unconfigured issuer is refused (401)', async (t) => {
  const a = await arena(t)
  const evil = await TestIssuer.start(t, tempDir(t))
  t.equal((await tryToken(a, await evil.token({ email: 'admin@example.com' }))).status, 401)
})

t.test('JWT claiming the trusted issuer but signed by another issuer\'s key is refused (401)', async (t) => {
  const a = await arena(t)
  const evil = await TestIssuer.start(t, tempDir(t))
  // Same kid as the real issuer's key: only the signature tells them apart.
  const r = await tryToken(a, await evil.token({ email: 'admin@example.com' }, { iss: a.issuer.url, kid: 'k1' }))
  t.equal(r.status, 401)
  t.match(r.decision.reason, /signature/)
})
