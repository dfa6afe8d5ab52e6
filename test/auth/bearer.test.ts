import t from 'tap'
import { bearerKey, extractBearerToken, MAX_TOKEN_BYTES } from '../../src/auth/bearer.js'
import { tokenKey } from '../../src/auth/cache.js'
import { AuthError, type AuthRequest } from '../../src/auth/types.js'

const req = (headers: Record<string, string | string[]>): AuthRequest => ({ headers, peerCertificates: [] })
const INVALID = Symbol('invalid credential: a 401, not anonymous')
const ws = (token: string): string => `base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString('base64url')}`

t.test('the bearer token of a request, parsed as Kubernetes does (SplitN on spaces, scheme case-insensitive)', async (t) => {
  const cases: [string, Record<string, string | string[]>, string | null | typeof INVALID][] = [
    ['Bearer scheme', { authorization: 'Bearer tok' }, 'tok'],
    ['lowercase scheme', { authorization: 'bearer tok' }, 'tok'],
    ['uppercase scheme', { authorization: 'BEARER tok' }, 'tok'],
    ['a third part is ignored', { authorization: 'Bearer tok extra parts' }, 'tok'],
    ['surrounding spaces are trimmed', { authorization: '  Bearer tok  ' }, 'tok'],
    ['two spaces make the token empty: invalid', { authorization: 'Bearer  tok' }, INVALID],
    ['the scheme alone is no token', { authorization: 'Bearer' }, null],
    ['"Bearer " trims to the scheme alone', { authorization: 'Bearer ' }, null],
    ['another scheme is not ours', { authorization: 'Basic dXNlcjpwYXNz' }, null],
    ['a scheme that only starts with bearer', { authorization: 'Bearerx tok' }, null],
    ['no header', {}, null],
    ['empty header', { authorization: '' }, null],
    ['repeated header: the first counts', { authorization: ['Bearer one', 'Bearer two'] }, 'one'],
    ['WebSocket subprotocol form on an upgrade', { upgrade: 'websocket', 'sec-websocket-protocol': `channel.k8s.io, ${ws('wstok')}` }, 'wstok'],
    ['subprotocol form without an upgrade is ignored', { 'sec-websocket-protocol': ws('wstok') }, null],
    ['Authorization wins over the subprotocol', { authorization: 'Bearer hdr', upgrade: 'websocket', 'sec-websocket-protocol': ws('wstok') }, 'hdr'],
    ['subprotocol with characters outside base64url', { upgrade: 'websocket', 'sec-websocket-protocol': 'base64url.bearer.authorization.k8s.io.a+b' }, INVALID],
    ['oversized token', { authorization: `Bearer ${'a'.repeat(MAX_TOKEN_BYTES + 1)}` }, INVALID],
  ]
  for (const [name, headers, want] of cases) {
    if (want === INVALID) t.throws(() => extractBearerToken(req(headers)), AuthError, name)
    else t.equal(extractBearerToken(req(headers)), want, name)
  }
})

t.test("bearerKey: a request's token is extracted and hashed once, kept in the request, never as a key", async (t) => {
  const r = req({ authorization: 'Bearer tok' })
  const k = bearerKey(r)
  t.same(k, { token: 'tok', key: tokenKey('tok') })
  t.equal(r.bearer, k, 'memoised in the request itself (no per-request WeakMap entry)')
  r.headers.authorization = 'Bearer other'
  t.equal(bearerKey(r), k, 'the second authenticator gets the same object without hashing again')
  t.equal(bearerKey(req({ authorization: 'Bearer other' }))?.key, tokenKey('other'), 'another request: its own token')
  const none = req({})
  t.equal(bearerKey(none), null)
  t.equal(none.bearer, null, '"no token" is memoised too')
  const bad = req({ authorization: 'Bearer  tok' })
  t.throws(() => bearerKey(bad), AuthError)
  t.throws(() => bearerKey(bad), AuthError, 'a malformed token stays an error on every call')
  t.equal(bad.bearer, undefined)
})
