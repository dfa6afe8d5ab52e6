import t from 'tap'
import { arena, b64url, tryToken } from './harness.js'

t.test('bearer token over 64 KiB is refused before parsing (401)', async (t) => {
  const a = await arena(t)
  const tok = `${b64url({ alg: 'RS256', kid: 'k1' })}.${b64url({ pad: 'x'.repeat(70 * 1024) })}.sig`
  const r = await tryToken(a, tok)
  t.equal(r.status, 401)
  t.match(r.decision.reason, /too large/)
})

t.test('oversized token in the WebSocket bearer subprotocol is refused (401)', async (t) => {
  const a = await arena(t)
  const { call } = await import('../auth/fixtures.js')
  const r = await call(a.srv, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-protocol': `base64url.bearer.authorization.k8s.io.${b64url('x'.repeat(70 * 1024))}` } })
  t.equal(r.status, 401)
  t.match(r.decision.reason, /too large/)
})
