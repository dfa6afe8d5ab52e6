import t from 'tap'
import { arena, b64url, tryToken } from './harness.js'

t.test('malformed JWTs (bad base64, bad JSON, wrong segment count) are refused (401), never a crash', async (t) => {
  const a = await arena(t)
  const good = await a.issuer.token({ email: 'dev@example.com' })
  const [h, p, s] = good.split('.') as [string, string, string]
  const cases = [
    'eyJ!!!.@@@.###',
    `${h}.${p}`,
    `${h}.${p}.${s}.extra`,
    `${h}.${b64url('not json')}.${s}`,
    `${b64url('{"alg":')}.${p}.${s}`,
    `${h}.${p}.${s.slice(0, -4)}%%%%`,
    `${h}.${p.slice(0, -2)}!.${s}`,
    '.',
    '..',
  ]
  for (const tok of cases) {
    const r = await tryToken(a, tok)
    t.equal(r.status, 401, JSON.stringify(tok.slice(0, 30)))
  }
  t.equal((await tryToken(a, good)).status, 200, 'the unmodified token still works')
})
