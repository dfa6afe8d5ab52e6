import t from 'tap'
import { call } from '../auth/fixtures.js'
import { arena } from './harness.js'

t.test('expired client certificate of the trusted CA is refused (401)', async (t) => {
  const a = await arena(t)
  const day = 86_400_000
  const cert = await a.clientCA.issue({ commonName: 'alice', usage: 'client', notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() - day) })
  t.equal((await call(a.srv, { cert })).status, 401)
})

t.test('not-yet-valid client certificate of the trusted CA is refused (401)', async (t) => {
  const a = await arena(t)
  const day = 86_400_000
  const cert = await a.clientCA.issue({ commonName: 'alice', usage: 'client', notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 3 * day) })
  t.equal((await call(a.srv, { cert })).status, 401)
})

t.test('a server-only certificate of the trusted CA is not a client credential (401)', async (t) => {
  const a = await arena(t)
  const cert = await a.clientCA.issue({ commonName: 'alice', usage: 'server' })
  t.equal((await call(a.srv, { cert })).status, 401)
})
