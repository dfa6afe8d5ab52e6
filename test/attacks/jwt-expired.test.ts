// A JWT expired beyond the clock skew is refused: 401 at the proxy, the shard never asked.
import t from 'tap'
import { arena, bearer, forged, nowSeconds, protocols, refused } from './arena.js'

const a = await arena(t)

for (const p of protocols) {
  t.test(`JWT expired beyond the clock skew is refused (${p}): 401`, async (t) => {
    const tok = await a.issuer!.token({ email: 'dev@example.com' }, { exp: nowSeconds() - 300 })
    t.match(await refused(t, a, p, { headers: { ...bearer(tok), ...forged } }), /exp/)
  })
}
