// GHSA-c8w2-fgvx-vhv4: client-supplied X-Remote-* must never reach a shard. Shards believe
// X-Remote-* from the proxy's requestheader-trusted connection, so a forged copy that survived
// would make any caller admin in system:masters. Driven through the real server, HTTP/1.1, HTTP/2
// and upgrades; the emulated shard's SelfSubjectReview tells whom it believed.
import t from 'tap'
import { arena, attempt, bearer, credentialId, forgedReview, protocols, refused, servedAs, upgrade, type Arena } from './arena.js'

/** Every way of spelling the identity headers: mixed case, repeated, an escaped extra key. */
const forged = {
  'X-Remote-User': ['admin', 'admin2'],
  'x-REMOTE-group': ['system:masters', 'system:kcp:logical-cluster-admin'],
  'X-Remote-Extra-Authentication.kcp.io%2FCluster-Name': 'root',
  'x-remote-extra-scopes': ['cluster:*'],
}

const full = await arena(t)
const certOnly = await arena(t, { auth: 'client-cert-only' })
const alice = await full.clientCA.issue({ commonName: 'alice', organizations: ['team'], usage: 'client' })
// Even a CN on the allowed list is only a requestheader proxy when signed by the requestheader CA.
const lookalike = await full.clientCA.issue({ commonName: 'kcp-front-proxy', usage: 'client' })

for (const p of protocols) {
  t.test(`forged identity headers (${p}): with a client certificate the shard sees the certificate's user`, async (t) => {
    await servedAs(t, full, p, { cert: alice, headers: forged }, { username: 'alice', groups: ['system:authenticated', 'team'], extra: credentialId(alice.cert) })
  })

  t.test(`forged identity headers (${p}): with a bearer token the shard sees the token's user`, async (t) => {
    await servedAs(t, full, p, { headers: { ...forged, ...bearer('bob-token') } }, { username: 'bob', groups: ['system:authenticated'] })
  })

  t.test(`forged identity headers (${p}): an OIDC user with a system:masters groups claim reaches the shard as itself, unprivileged`, async (t) => {
    const tok = await full.issuer!.token({ email: 'dev@example.com', groups: ['devs', 'system:masters'] })
    await servedAs(t, full, p, { headers: { ...forged, ...bearer(tok) } }, { username: 'dev@example.com', groups: ['devs', 'system:authenticated'] })
  })

  t.test(`forged identity headers (${p}) without any credential: 401 at the proxy, the shard is never asked`, async (t) => {
    await refused(t, full, p, { headers: forged })
  })

  t.test(`forged identity headers (${p}) from a client-CA user named like the proxy are not requestheader assertions`, async (t) => {
    await servedAs(t, full, p, { cert: lookalike, headers: forged }, { username: 'kcp-front-proxy', groups: ['system:authenticated'], extra: credentialId(lookalike.cert) })
  })

  t.test(`forged identity headers (${p}, client-cert-only) without any credential: passed on anonymously, the shard refuses (401)`, async (t) => {
    const r = await attempt(certOnly, p, { headers: forged })
    t.ok(r.reachedShard, 'the proxy passed the request on (upstream §5.1)')
    t.equal(r.status, 401, 'the shard did not believe the forged headers')
    t.equal(r.user, undefined)
  })

  t.test(`forged identity headers (${p}, client-cert-only): the shard sees the token's user, validated by the shard`, async (t) => {
    await servedAs(t, certOnly, p, { headers: { ...forged, ...bearer('bob-token') } }, { username: 'bob', groups: ['system:authenticated'] })
  })

  t.test(`forged identity headers (${p}, client-cert-only): with a client certificate the shard sees the certificate's user`, async (t) => {
    const cert = await certOnly.clientCA.issue({ commonName: 'alice', organizations: ['team'], usage: 'client' })
    await servedAs(t, certOnly, p, { cert, headers: forged }, { username: 'alice', groups: ['system:authenticated', 'team'], extra: credentialId(cert.cert) })
  })
}

// Plain HTTP/2 requests take Node's core stream API; these keep its compatibility layer
// (src/proxy/h2-stream.ts). Both paths must strip the forged headers.
for (const [why, extra] of [['Origin', { origin: 'https://console.example.com' }], ['Expect', { expect: '100-continue' }]] as const) {
  t.test(`forged identity headers (HTTP/2 on Node's compatibility layer, a request with ${why}): the shard sees the token's user`, async (t) => {
    await servedAs(t, full, 'HTTP/2', { headers: { ...forged, ...bearer('bob-token'), ...extra } }, { username: 'bob', groups: ['system:authenticated'] })
  })
}

// The emulator does not implement upgrades: it answers them as normal requests. bob may not list
// namespaces, admin in system:masters may: the shard's answer says whom it believed.
const forgedUpgrade = { 'X-Remote-User': 'admin', 'X-Remote-Group': 'system:masters', 'X-Remote-Extra-Scopes': 'cluster:*' }

for (const [auth, a] of [['full', full], ['client-cert-only', certOnly]] as [string, Arena][]) {
  for (const protocol of ['websocket', 'SPDY/3.1'] as const) {
    t.test(`forged identity headers on a ${protocol} upgrade (${auth}): the shard answers bob, not admin; the connection closes; a pipelined forged request is never answered`, async (t) => {
      const r = await upgrade(t, a, { path: '/clusters/root:org/api/v1/namespaces', protocol, headers: { ...forgedUpgrade, Authorization: 'Bearer bob-token' }, then: forgedReview(a) })
      t.equal(r.status, 403, 'the shard refused bob')
      t.match(r.text, /User \\"bob\\" cannot list resource \\"namespaces\\"/, 'the shard saw bob')
      t.notMatch(r.text, /NamespaceList|system:masters|"username":"admin"/)
      t.ok(r.closed, 'the proxy closed the connection after the refusal')
      t.equal(r.responses, 1, 'the pipelined forged request was never answered')
    })
  }
}

t.test('forged identity headers on a websocket upgrade without any credential (full): 401 at the proxy, the shard is never asked', async (t) => {
  const r = await upgrade(t, full, { path: '/clusters/root:org/api/v1/namespaces', protocol: 'websocket', headers: forgedUpgrade, then: forgedReview(full) })
  t.equal(r.status, 401)
  t.notOk(r.reachedShard)
  t.ok(r.closed)
  t.equal(r.responses, 1)
})

t.test('forged identity headers on a websocket upgrade without any credential (client-cert-only): the shard refuses (401), never admin', async (t) => {
  const r = await upgrade(t, certOnly, { path: '/clusters/root:org/api/v1/namespaces', protocol: 'websocket', headers: forgedUpgrade, then: forgedReview(certOnly) })
  t.ok(r.reachedShard, 'passed on anonymously')
  t.equal(r.status, 401, 'the shard did not believe the forged headers')
  t.notMatch(r.text, /NamespaceList/)
  t.ok(r.closed)
  t.equal(r.responses, 1)
})
