// No credential reaches the proxy's logs — static tokens, JWTs, Basic credentials, WebSocket
// bearer subprotocols, client keys — at trace level, on success and failure, over HTTP/1.1,
// HTTP/2 and upgrades, with authentication at the proxy and with tokens passed on to the shard.
import t, { type Test } from 'tap'
import { arena, attempt, b64url, bearer, protocols, upgrade, type Arena } from './arena.js'

const basic = 'dXNlcjpwYXNz' // user:pass

/** Sends every credential, checking the answers so the log check is not vacuous; returns the secrets sent. */
async function sendCredentials(t: Test, a: Arena, o: { proxyAuthenticates: boolean }): Promise<string[]> {
  const secrets = ['admin-token', 'user-token', 'wrong-static-token', basic]
  const alice = await a.clientCA.issue({ commonName: 'alice', usage: 'client' })
  for (const p of protocols) {
    t.equal((await attempt(a, p, { headers: bearer('user-token') })).status, 201, `${p}: a good static token`)
    t.equal((await attempt(a, p, { headers: bearer('admin-token') })).status, 201, `${p}: a good static token`)
    t.equal((await attempt(a, p, { headers: bearer('wrong-static-token') })).status, 401, `${p}: a wrong static token`)
    t.equal((await attempt(a, p, { headers: { authorization: `Basic ${basic}` } })).status, 401, `${p}: Basic credentials`)
    t.equal((await attempt(a, p, { cert: alice })).status, 201, `${p}: a client certificate`)
    if (a.issuer !== undefined) {
      const good = await a.issuer.token({ email: 'dev@example.com' })
      const expired = await a.issuer.token({ email: 'dev@example.com' }, { exp: 1 })
      const none = `${b64url({ alg: 'none' })}.${b64url({ iss: a.issuer.url, aud: 'kcp', email: 'x@example.com' })}.`
      secrets.push(good, expired, none)
      t.equal((await attempt(a, p, { headers: bearer(good) })).status, 201, `${p}: a good JWT`)
      for (const bad of [expired, none]) t.equal((await attempt(a, p, { headers: bearer(bad) })).status, 401, `${p}: a bad JWT`)
    }
  }
  const subprotocol = b64url('subprotocol-secret-token')
  secrets.push(subprotocol, 'upgrade-secret-token')
  const r = await upgrade(t, a, { path: '/clusters/root:org/api/v1/namespaces', protocol: 'websocket', headers: { 'Sec-WebSocket-Protocol': `base64url.bearer.authorization.k8s.io.${subprotocol}` } })
  t.equal(r.status, 401, 'an unknown token in the WebSocket bearer subprotocol')
  t.equal((await upgrade(t, a, { path: '/clusters/root:org/api/v1/namespaces', protocol: 'SPDY/3.1', headers: bearer('upgrade-secret-token') })).status, 401, 'an unknown token on a SPDY upgrade')
  t.ok(o.proxyAuthenticates ? /Unable to authenticate/.test(a.log.text) : a.log.lines.length > 0, 'the failures were logged (the check is not vacuous)')
  return secrets
}

function assertNothingLogged(t: Test, a: Arena, secrets: string[]): void {
  const text = a.log.text
  for (const s of secrets) t.notOk(text.includes(s), `credential ${s.slice(0, 12)}… not logged`)
  t.notOk(/eyJ[A-Za-z0-9_-]{10,}/.test(text), 'no JWT-looking string')
  t.notOk(/PRIVATE KEY|Bearer |Basic /.test(text), 'no key material or Authorization value')
}

t.test('no credential appears in the logs at trace level, on success and failure (authentication at the proxy)', async (t) => {
  const a = await arena(t)
  const secrets = await sendCredentials(t, a, { proxyAuthenticates: true })
  // An unknown key while the issuer is down: the failure path that logs the issuer error.
  await a.issuer!.stop()
  await a.issuer!.addKey('k9')
  const rotated = await a.issuer!.token({ email: 'x@example.com' }, { kid: 'k9' })
  secrets.push(rotated)
  for (const p of protocols) t.equal((await attempt(a, p, { headers: bearer(rotated) })).status, 401, `${p}: a JWT of an unknown key, issuer down`)
  assertNothingLogged(t, a, secrets)
})

t.test('no credential appears in the logs at trace level, on success and failure (tokens passed on to the shard)', async (t) => {
  const a = await arena(t, { auth: 'client-cert-only' })
  assertNothingLogged(t, a, await sendCredentials(t, a, { proxyAuthenticates: false }))
})
