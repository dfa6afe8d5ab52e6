import t from 'tap'
import { createCA } from '../../src/pki/index.js'
import { call } from '../auth/fixtures.js'
import { arena, identityHeaders } from './harness.js'

t.test('untrusted CA: a client certificate from a self-made CA is refused (401)', async (t) => {
  const a = await arena(t)
  const evil = await createCA('client-ca') // same subject name as the real CA
  const cert = await evil.issue({ commonName: 'admin', organizations: ['system:masters'], usage: 'client' })
  const r = await call(a.srv, { cert, headers: { 'X-Remote-User': 'admin' } })
  t.equal(r.status, 401)
  t.same(identityHeaders(r.headers), {})
})

t.test('untrusted CA: the real CA certificate sent as an intermediate does not help', async (t) => {
  const a = await arena(t)
  const evil = await createCA('client-ca')
  const leaf = await evil.issue({ commonName: 'admin', usage: 'client' })
  const r = await call(a.srv, { cert: { cert: leaf.cert.trim() + '\n' + a.clientCA.cert, key: leaf.key } })
  t.equal(r.status, 401)
})
