// An unsigned JWT (alg "none") must never authenticate: 401 at the proxy, the shard never asked.
import t from 'tap'
import { arena, b64url, bearer, forged, nowSeconds, protocols, refused } from './arena.js'

const a = await arena(t)

for (const p of protocols) {
  t.test(`JWT with alg "none" (unsigned) is refused (${p}): 401`, async (t) => {
    const payload = { iss: a.issuer!.url, aud: 'kcp', email: 'admin@example.com', exp: nowSeconds() + 600 }
    for (const tok of [`${b64url({ alg: 'none', kid: 'k1' })}.${b64url(payload)}.`, `${b64url({ alg: 'none' })}.${b64url(payload)}.`, `${b64url({ alg: 'None', kid: 'k1' })}.${b64url(payload)}.x`]) {
      const why = await refused(t, a, p, { headers: { ...bearer(tok), ...forged } }, tok.slice(0, 20))
      t.match(why, /not allowed/, 'refused for its algorithm')
    }
  })
}
