// JWTs of an issuer the proxy does not trust, or claiming the trusted issuer but signed with
// another key, are refused: 401 at the proxy, the shard never asked.
import t from 'tap'
import { tempDir, TestIssuer } from '../auth/fixtures.js'
import { arena, bearer, forged, protocols, refused } from './arena.js'

const a = await arena(t)
const evil = await TestIssuer.start(t, tempDir(t))

for (const p of protocols) {
  t.test(`JWT from an unconfigured issuer is refused (${p}): 401`, async (t) => {
    await refused(t, a, p, { headers: { ...bearer(await evil.token({ email: 'admin@example.com' })), ...forged } })
  })

  t.test(`JWT claiming the trusted issuer but signed by another issuer's key is refused (${p}): 401`, async (t) => {
    // Same kid as the real issuer's key: only the signature tells them apart.
    const tok = await evil.token({ email: 'admin@example.com' }, { iss: a.issuer!.url, kid: 'k1' })
    t.match(await refused(t, a, p, { headers: { ...bearer(tok), ...forged } }), /signature/)
  })
}
