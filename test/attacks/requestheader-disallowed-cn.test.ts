// --requestheader-allowed-names: only a client certificate of the inbound requestheader CA with an
// allowed CN may assert identities in X-Remote-*. Anything else asserting them is refused at the
// proxy, over HTTP/1.1 and HTTP/2; the emulated shard tells whom it believed when it was asked.
import t from 'tap'
import { arena, protocols, refused, servedAs } from './arena.js'

const a = await arena(t)
const assertion = { 'X-Remote-User': 'admin', 'X-Remote-Group': 'system:masters' }
const otherProxy = await a.requestheaderCA!.issue({ commonName: 'some-other-proxy', usage: 'client' })
const allowed = await a.requestheaderCA!.issue({ commonName: 'kcp-front-proxy', usage: 'client' })

for (const p of protocols) {
  t.test(`requestheader (${p}): a requestheader-CA certificate with a CN not in --requestheader-allowed-names cannot assert identities (401)`, async (t) => {
    // Not a requestheader proxy, and not a client-CA user either.
    await refused(t, a, p, { cert: otherProxy, headers: assertion })
  })

  t.test(`requestheader (${p}): the allowed CN asserts the user, but dropped groups stay dropped`, async (t) => {
    const headers = { 'X-Remote-User': 'carol', 'X-Remote-Group': ['system:masters', 'team'], 'X-Remote-Extra-Authentication.kcp.io%2Fscopes': 'cluster:abc' }
    await servedAs(t, a, p, { cert: allowed, headers }, { username: 'carol', groups: ['system:authenticated', 'team'], extra: { 'authentication.kcp.io/scopes': ['cluster:abc'] } })
  })

  t.test(`requestheader (${p}): the allowed CN without a user header is not a client-certificate user (401)`, async (t) => {
    await refused(t, a, p, { cert: allowed, headers: { 'X-Remote-Group': 'team' } })
  })

  t.test(`requestheader (${p}): the shards' requestheader certificate presented by a client is not trusted by the proxy (401)`, async (t) => {
    await refused(t, a, p, { cert: a.topo.pki.proxyClient, headers: assertion })
  })
}
