// A JWT of the trusted issuer minted for another client id is refused: 401 at the proxy, the shard never asked.
import t from 'tap'
import { arena, bearer, forged, protocols, refused } from './arena.js'

const a = await arena(t)

for (const p of protocols) {
  t.test(`JWT for another audience (client id) is refused (${p}): 401`, async (t) => {
    const tok = await a.issuer!.token({ email: 'dev@example.com' }, { aud: 'some-other-app' })
    t.match(await refused(t, a, p, { headers: { ...bearer(tok), ...forged } }), /aud/)
  })
}
