// Malformed JWTs (bad base64, bad JSON, wrong segment count) are refused with 401 at the proxy,
// never a crash, and the shard is never asked; the unmodified token still works afterwards.
import t from 'tap'
import { arena, b64url, bearer, forged, protocols, refused, servedAs } from './arena.js'

const a = await arena(t)

for (const p of protocols) {
  t.test(`malformed JWTs (bad base64, bad JSON, wrong segment count) are refused (${p}): 401, never a crash`, async (t) => {
    const good = await a.issuer!.token({ email: 'dev@example.com' })
    const [h, pl, s] = good.split('.') as [string, string, string]
    const cases = [
      'eyJ!!!.@@@.###',
      `${h}.${pl}`,
      `${h}.${pl}.${s}.extra`,
      `${h}.${b64url('not json')}.${s}`,
      `${b64url('{"alg":')}.${pl}.${s}`,
      `${h}.${pl}.${s.slice(0, -4)}%%%%`,
      `${h}.${pl.slice(0, -2)}!.${s}`,
      '.',
      '..',
    ]
    for (const tok of cases) await refused(t, a, p, { headers: { ...bearer(tok), ...forged } }, JSON.stringify(tok.slice(0, 30)))
    await servedAs(t, a, p, { headers: bearer(good) }, { username: 'dev@example.com', groups: ['system:authenticated'] }, 'the unmodified token still works')
  })
}
