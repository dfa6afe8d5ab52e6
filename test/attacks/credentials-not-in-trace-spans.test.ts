// No credential leaves the proxy in a span: tokens (static, JWT, wrong ones), Basic credentials,
// cookies, a token in the query, the WebSocket bearer subprotocol and client certificates, on
// success and failure, over HTTP/1.1 and HTTP/2 — searched for in the raw OTLP bytes the collector
// received, so no attribute, event or resource can carry one unnoticed.
import t from 'tap'
import { attempt, b64url, bearer, protocols, upgrade } from './arena.js'
import { SERVER_KIND, tracingArena } from '../tracing/fixtures.js'

t.test('no credential reaches the exported spans (every request sampled)', async (t) => {
  const a = await tracingArena(t, { rate: 1_000_000 })
  const basic = Buffer.from('user:pass-in-basic').toString('base64')
  const good = await a.issuer!.token({ email: 'dev@example.com' })
  const expired = await a.issuer!.token({ email: 'dev@example.com' }, { exp: 1 })
  const alice = await a.clientCA.issue({ commonName: 'alice', usage: 'client' })
  const secrets = ['user-token', 'wrong-static-token', basic, good, expired, 'cookie-secret-value', 'query-secret-token', 'subprotocol-secret-token', 'spdy-secret-token']
  for (const p of protocols) {
    t.equal((await attempt(a, p, { headers: bearer('user-token') })).status, 201, `${p}: a good static token`)
    t.equal((await attempt(a, p, { headers: bearer('wrong-static-token') })).status, 401, `${p}: a wrong static token`)
    t.equal((await attempt(a, p, { headers: { authorization: `Basic ${basic}` } })).status, 401, `${p}: Basic credentials`)
    t.equal((await attempt(a, p, { headers: bearer(good) })).status, 201, `${p}: a good JWT`)
    t.equal((await attempt(a, p, { headers: bearer(expired) })).status, 401, `${p}: an expired JWT`)
    t.equal((await attempt(a, p, { cert: alice })).status, 201, `${p}: a client certificate`)
    t.equal((await attempt(a, p, { headers: { ...bearer('user-token'), cookie: 'session=cookie-secret-value' } })).status, 201, `${p}: a cookie`)
  }
  // The query is not ours to record: a token there must not travel into a span.
  const r = await attempt(a, 'HTTP/1.1', { headers: bearer('user-token'), query: 'token=query-secret-token' })
  t.equal(r.status, 201, 'a token in the query')
  const ws = await upgrade(t, a, { path: '/clusters/root:org/api/v1/namespaces', protocol: 'websocket', headers: { 'Sec-WebSocket-Protocol': `base64url.bearer.authorization.k8s.io.${b64url('subprotocol-secret-token')}` } })
  t.equal(ws.status, 401, 'an unknown token in the WebSocket bearer subprotocol')
  secrets.push(b64url('subprotocol-secret-token'))
  t.equal((await upgrade(t, a, { path: '/clusters/root:org/api/v1/namespaces', protocol: 'SPDY/3.1', headers: bearer('spdy-secret-token') })).status, 401, 'a token on a SPDY upgrade')
  await a.proxy.close()

  const servers = a.receiver.spans.filter((s) => s.kind === SERVER_KIND)
  t.equal(servers.length, 17, 'every request and upgrade was traced, so the search is not vacuous')
  t.ok(servers.some((s) => s.attributes['http.response.status_code'] === 401), 'failures were traced too')
  const bytes = Buffer.concat(a.receiver.raw).toString('latin1')
  t.ok(bytes.includes('root:org'), 'the exported bytes are searchable (they name the workspace)')
  for (const s of secrets) t.notOk(bytes.includes(s), `credential ${s.slice(0, 12)}… not exported`)
  t.notOk(/eyJ[A-Za-z0-9_-]{10,}/.test(bytes), 'no JWT-looking string')
  t.notOk(/Bearer |Basic |authorization|cookie|alice|PRIVATE KEY/i.test(bytes), 'no header name or value that carries credentials, no client certificate subject')
  t.notOk(bytes.includes('token='), 'no query string')
})
