import t from 'tap'
import { call } from '../auth/fixtures.js'
import { arena, b64url, tryToken } from './harness.js'

t.test('no credential appears in the logs (tokens, JWTs, keys), at trace level, on success and failure', async (t) => {
  const a = await arena(t)
  const good = await a.issuer.token({ email: 'dev@example.com' })
  const expired = await a.issuer.token({ email: 'dev@example.com' }, { exp: 1 })
  const secrets = ['static-token-123', good, expired, 'wrong-static-token', `${b64url({ alg: 'none' })}.${b64url({ iss: a.issuer.url })}.`]
  for (const s of secrets) await tryToken(a, s)
  await call(a.srv, { headers: { authorization: 'Basic dXNlcjpwYXNz' } })
  await a.issuer.stop()
  await a.issuer.addKey('k9')
  await tryToken(a, await a.issuer.token({ email: 'x@example.com' }, { kid: 'k9' }))
  t.ok(a.log.lines.length > 0, 'something was logged (the check is not vacuous)')
  const text = a.log.text
  for (const s of secrets) t.notOk(text.includes(s), 'token not logged')
  t.notOk(/eyJ[A-Za-z0-9_-]{10,}/.test(text), 'no JWT-looking string')
  t.notOk(/PRIVATE KEY|dXNlcjpwYXNz|Bearer /.test(text), 'no key material or auth header')
})
