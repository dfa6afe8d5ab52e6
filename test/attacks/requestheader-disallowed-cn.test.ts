import t from 'tap'
import { call } from '../auth/fixtures.js'
import { arena, identityHeaders } from './harness.js'

t.test('requestheader CA cert with a CN not in --requestheader-allowed-names cannot assert identities', async (t) => {
  const a = await arena(t)
  const cert = await a.requestheaderCA.issue({ commonName: 'some-other-proxy', usage: 'client' })
  const r = await call(a.srv, { cert, headers: { 'X-Remote-User': 'admin', 'X-Remote-Group': 'system:masters' } })
  t.equal(r.status, 401, 'not a requestheader proxy, and not a client-CA user either')
  t.same(identityHeaders(r.headers), {})
})

t.test('requestheader: the allowed CN asserts the user, but dropped groups stay dropped', async (t) => {
  const a = await arena(t)
  const cert = await a.requestheaderCA.issue({ commonName: 'kcp-front-proxy', usage: 'client' })
  const r = await call(a.srv, { cert, headers: { 'X-Remote-User': 'admin', 'X-Remote-Group': ['system:masters', 'team'] } })
  t.equal(r.decision.method, 'requestheader')
  t.same(r.headers['X-Remote-Group'], ['system:authenticated', 'team'])
})
