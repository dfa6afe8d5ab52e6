// OIDC issuer down: tokens signed with keys the proxy already has still verify (the shard sees
// their users); a token signed with a key the proxy never saw fails closed (401 at the proxy,
// the shard never asked).
import t from 'tap'
import { arena, bearer, forged, protocols, refused, servedAs } from './arena.js'

const a = await arena(t)
const issuer = a.issuer!

t.test('OIDC issuer down: fail closed for unknown keys, cached keys still verify', async (t) => {
  await servedAs(t, a, 'HTTP/1.1', { headers: bearer(await issuer.token({ email: 'warm@example.com' })) }, { username: 'warm@example.com', groups: ['system:authenticated'] }, 'keys fetched while up')
  await issuer.stop()
  await issuer.addKey('rotated')
  for (const p of protocols) {
    await servedAs(t, a, p, { headers: { ...bearer(await issuer.token({ email: 'cached@example.com' }, { kid: 'k1' })), ...forged } }, { username: 'cached@example.com', groups: ['system:authenticated'] }, `${p}: cached key`)
    await refused(t, a, p, { headers: { ...bearer(await issuer.token({ email: 'rotated@example.com' }, { kid: 'rotated' })), ...forged } }, `${p}: key the proxy never saw`)
  }
})
