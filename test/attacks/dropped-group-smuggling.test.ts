// --authentication-drop-groups (default system:masters, system:kcp:logical-cluster-admin,
// system:kcp:initializer:*, system:kcp:terminator:*): a shard believes whatever X-Remote-Group the
// proxy sends, so no credential may carry these groups through. Driven through the real server over
// HTTP/1.1 and HTTP/2; the emulated shard's SelfSubjectReview tells which groups it believed.
import t, { type Test } from 'tap'
import type { KeyPair } from '../../src/pki/index.js'
import { h1, h2 } from '../proxy/fixtures/client.js'
import { arena, attempt, bearer, credentialId, protocols, refused, servedAs, type Protocol } from './arena.js'

const privileged = ['system:masters', 'system:kcp:logical-cluster-admin']
const dropped = [...privileged, 'system:kcp:initializer:root:universal', 'system:kcp:terminator:x']

const a = await arena(t, { tokenCsv: 'tom-token,tom,tom-uid,"devs,system:masters,system:kcp:logical-cluster-admin,system:kcp:terminator:x"\n' })
const alice = await a.clientCA.issue({ commonName: 'alice', organizations: [...dropped, 'team'], usage: 'client' })
const admin = a.topo.pki.admin
const inbound = await a.requestheaderCA!.issue({ commonName: 'kcp-front-proxy', usage: 'client' })

/** bob may not list namespaces on the emulated shard unless it believes him in system:masters. */
async function listNamespacesAs(p: Protocol, cert: KeyPair): Promise<number> {
  const url = `${a.proxy.url}/clusters/root:org/api/v1/namespaces`
  return (await (p === 'HTTP/2' ? h2 : h1)(url, a.ca, { cert: cert.cert, key: cert.key })).status
}

async function groupsAtShard(t: Test, p: Protocol, o: Parameters<typeof attempt>[2]): Promise<string[]> {
  const r = await attempt(a, p, o)
  t.equal(r.status, 201, 'the shard answered the review')
  return r.user?.groups ?? []
}

for (const p of protocols) {
  t.test(`dropped groups (${p}) cannot be smuggled through a client certificate's O=`, async (t) => {
    await servedAs(t, a, p, { cert: alice }, { username: 'alice', groups: ['system:authenticated', 'team'], extra: credentialId(alice.cert) })
  })

  t.test(`dropped groups (${p}): the admin client certificate (O=system:masters) loses system:masters at the proxy`, async (t) => {
    await servedAs(t, a, p, { cert: admin }, { username: 'admin', groups: ['system:authenticated', 'system:kcp:admin'], extra: credentialId(admin.cert) })
  })

  t.test(`dropped groups (${p}) cannot be smuggled through the token file`, async (t) => {
    await servedAs(t, a, p, { headers: bearer('tom-token') }, { username: 'tom', groups: ['devs', 'system:authenticated'] }, 'tom')
    await servedAs(t, a, p, { headers: bearer('admin-token') }, { username: 'admin', groups: ['system:authenticated'] }, 'admin-token')
  })

  t.test(`dropped groups (${p}) cannot be smuggled through OIDC groups claims`, async (t) => {
    const tok = await a.issuer!.token({ email: 'e@example.com', groups: [...dropped, 'system:kcp:initializer:a:b'] })
    await servedAs(t, a, p, { headers: bearer(tok) }, { username: 'e@example.com', groups: ['system:authenticated'] })
  })

  t.test(`dropped groups (${p}) cannot be asserted by a trusted inbound requestheader proxy either`, async (t) => {
    const headers = { 'X-Remote-User': 'carol', 'X-Remote-Group': [...dropped, 'team'] }
    await servedAs(t, a, p, { cert: inbound, headers }, { username: 'carol', groups: ['system:authenticated', 'team'] })
  })

  t.test(`dropped groups (${p}): case variants pass the filter but are different (harmless) groups at the shard`, async (t) => {
    const variants = ['System:Masters', 'SYSTEM:MASTERS', 'system:kcp:initializer']
    const cert = await a.clientCA.issue({ commonName: 'bob', organizations: variants, usage: 'client' })
    // Kubernetes RBAC and kcp's authorizers compare group names byte for byte (case-sensitive).
    const groups = await groupsAtShard(t, p, { cert })
    t.same([...groups].sort(), [...variants, 'system:authenticated'].sort(), 'the shard saw the variants as sent')
    for (const g of groups) t.notOk(privileged.includes(g), `${JSON.stringify(g)} is not a privileged group name`)
    t.notOk(groups.some((g) => g.startsWith('system:kcp:initializer:')))
    t.equal(await listNamespacesAs(p, cert), 403, 'the shard does not treat bob as system:masters')
  })

  // HTTP trims leading and trailing whitespace from a header value, so `system:masters ` would pass
  // the drop filter and arrive as system:masters. An identity whose values a header cannot carry
  // as they are is refused at the proxy (as upstream's Go, which trims on write, does not).
  t.test(`dropped groups (${p}): whitespace around a group name cannot turn it into system:masters (refused, 401)`, async (t) => {
    const variants = ['system:masters ', ' system:masters', 'system:masters\t']
    for (const v of variants) {
      const cert = await a.clientCA.issue({ commonName: 'bob', organizations: [v], usage: 'client' })
      const why = await refused(t, a, p, { cert }, `certificate O=${JSON.stringify(v)}`)
      t.match(why, /cannot be forwarded/)
      t.equal(await listNamespacesAs(p, cert), 401, `certificate O=${JSON.stringify(v)}: no namespace list`)
      const tok = await a.issuer!.token({ email: 'e@example.com', groups: [v] })
      await refused(t, a, p, { headers: bearer(tok) }, `OIDC groups claim ${JSON.stringify(v)}`)
    }
    const padded = await a.clientCA.issue({ commonName: 'admin ', usage: 'client' })
    await refused(t, a, p, { cert: padded }, 'certificate CN "admin " (would arrive as admin)')
  })

  t.test(`dropped groups (${p}): an X-Remote-Group value with a comma is one group, not two`, async (t) => {
    const headers = { 'X-Remote-User': 'u', 'X-Remote-Group': 'team, system:masters' }
    await servedAs(t, a, p, { cert: inbound, headers }, { username: 'u', groups: ['system:authenticated', 'team, system:masters'] })
  })
}
