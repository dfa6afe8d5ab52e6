// A client certificate from a CA the proxy does not trust is refused (401) at the proxy, over
// HTTP/1.1 and HTTP/2, whether other authentication methods are on or not: it never passes on
// anonymously and the shard is never asked.
import t from 'tap'
import { createCA } from '../../src/pki/index.js'
import { arena, forged, protocols, refused, type Arena } from './arena.js'

const arenas: [string, Arena][] = [['full', await arena(t)], ['client-cert-only', await arena(t, { auth: 'client-cert-only' })]]
// Same subject name as the real CA: only the signature tells them apart.
const evil = await createCA('client-ca')
const evilAdmin = await evil.issue({ commonName: 'admin', organizations: ['system:masters'], usage: 'client' })

for (const [auth, a] of arenas) {
  for (const p of protocols) {
    t.test(`untrusted CA (${auth}, ${p}): a client certificate from a self-made CA with the admin CN is refused (401)`, async (t) => {
      await refused(t, a, p, { cert: evilAdmin, headers: forged })
    })

    t.test(`untrusted CA (${auth}, ${p}): the real CA certificate sent as an intermediate does not help (401)`, async (t) => {
      const leaf = await evil.issue({ commonName: 'admin', usage: 'client' })
      await refused(t, a, p, { cert: { cert: leaf.cert.trim() + '\n' + a.clientCA.cert, key: leaf.key }, headers: forged })
    })
  }
}
