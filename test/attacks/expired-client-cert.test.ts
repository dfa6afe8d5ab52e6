// A client certificate of the trusted CA that is expired, not yet valid, or not made for client
// authentication is no credential: 401 at the proxy, over HTTP/1.1 and HTTP/2, whether other
// authentication methods are on or not, and the shard is never asked.
import t from 'tap'
import { arena, forged, protocols, refused, type Arena } from './arena.js'

const day = 86_400_000
const arenas: [string, Arena][] = [['full', await arena(t)], ['client-cert-only', await arena(t, { auth: 'client-cert-only' })]]

for (const [auth, a] of arenas) {
  const expired = await a.clientCA.issue({ commonName: 'alice', usage: 'client', notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() - day) })
  const future = await a.clientCA.issue({ commonName: 'alice', usage: 'client', notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 3 * day) })
  const serverOnly = await a.clientCA.issue({ commonName: 'alice', usage: 'server' })
  for (const p of protocols) {
    t.test(`expired client certificate of the trusted CA is refused (${auth}, ${p}): 401`, async (t) => {
      await refused(t, a, p, { cert: expired, headers: forged })
    })

    t.test(`not-yet-valid client certificate of the trusted CA is refused (${auth}, ${p}): 401`, async (t) => {
      await refused(t, a, p, { cert: future, headers: forged })
    })

    t.test(`a server-only certificate of the trusted CA is not a client credential (${auth}, ${p}): 401`, async (t) => {
      await refused(t, a, p, { cert: serverOnly, headers: forged })
    })
  }
}
