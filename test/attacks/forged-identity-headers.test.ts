// GHSA-c8w2-fgvx-vhv4: client-supplied X-Remote-* must never reach a shard.
import t from 'tap'
import { call } from '../auth/fixtures.js'
import { arena, bearer, identityHeaders } from './harness.js'

const forged = {
  'X-Remote-User': ['admin', 'admin2'],
  'x-REMOTE-group': ['system:masters', 'system:kcp:logical-cluster-admin'],
  'X-Remote-Extra-Authentication.kcp.io%2FCluster-Name': 'root',
  'x-remote-extra-scopes': ['cluster:*'],
}

t.test('forged identity headers: with a client certificate the real user replaces them', async (t) => {
  const a = await arena(t)
  const cert = await a.clientCA.issue({ commonName: 'alice', organizations: ['team'], usage: 'client' })
  const r = await call(a.srv, { cert, headers: forged })
  t.equal(r.decision.method, 'x509')
  const h = identityHeaders(r.headers)
  t.equal(h['X-Remote-User'], 'alice')
  t.same(h['X-Remote-Group'], ['system:authenticated', 'team'])
  t.same(Object.keys(h).sort(), ['X-Remote-Extra-authentication.kubernetes.io%2Fcredential-id', 'X-Remote-Group', 'X-Remote-User'])
})

t.test('forged identity headers: with a bearer token the real user replaces them', async (t) => {
  const a = await arena(t)
  const r = await call(a.srv, { headers: { ...forged, ...bearer('static-token-123') } })
  const h = identityHeaders(r.headers)
  t.equal(h['X-Remote-User'], 'tom')
  t.same(h['X-Remote-Group'], ['devs', 'system:authenticated'])
  t.same(Object.keys(h).sort(), ['X-Remote-Group', 'X-Remote-User'])
})

t.test('forged identity headers without any credential: 401 and nothing forwarded', async (t) => {
  const a = await arena(t)
  const r = await call(a.srv, { headers: forged })
  t.equal(r.status, 401)
  t.same(identityHeaders(r.headers), {})
})

t.test('forged identity headers from a client-CA user are not requestheader assertions', async (t) => {
  const a = await arena(t)
  // Even a CN on the allowed list is only a requestheader proxy when signed by the requestheader CA.
  const cert = await a.clientCA.issue({ commonName: 'kcp-front-proxy', usage: 'client' })
  const r = await call(a.srv, { cert, headers: forged })
  t.equal(r.decision.method, 'x509')
  t.equal(r.decision.user?.name, 'kcp-front-proxy')
})
