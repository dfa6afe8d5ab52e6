import t from 'tap'
import { arena, tryToken } from './harness.js'

t.test('OIDC issuer down: fail closed for unknown keys, cached keys still verify', async (t) => {
  const a = await arena(t)
  t.equal((await tryToken(a, await a.issuer.token({ email: 'warm@example.com' }))).status, 200, 'keys fetched while up')
  await a.issuer.stop()
  t.equal((await tryToken(a, await a.issuer.token({ email: 'cached@example.com' }))).status, 200)
  await a.issuer.addKey('rotated')
  const r = await tryToken(a, await a.issuer.token({ email: 'rotated@example.com' }, { kid: 'rotated' }))
  t.equal(r.status, 401)
  t.same(Object.keys(r.headers).filter((h) => h.toLowerCase().startsWith('x-remote-')), [])
})
