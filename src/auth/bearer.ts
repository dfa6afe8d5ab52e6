// Bearer tokens: the Authorization header and the WebSocket subprotocol form kubectl and
// client libraries use for upgrades (k8s bearertoken + websocket protocol authenticators),
// verified by a union of token authenticators behind the token cache.
import { LRUCache } from 'lru-cache'
import { tokenKey, type TokenCache, type VerifiedToken } from './cache.js'
import { AuthError, type AuthRequest, type BearerKey, type UserInfo } from './types.js'

/** Tokens beyond this are refused before any parsing (a JWT is a few KiB at most). */
export const MAX_TOKEN_BYTES = 64 * 1024

export interface TokenAuthenticator {
  readonly name: string
  /** null = not a token of this kind; throws AuthError when it is one but invalid. */
  verifyToken(token: string): Promise<VerifiedToken | null>
}

const WS_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.'

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/**
 * The bearer token of a request, null when there is none. Throws AuthError for an empty
 * or oversized one (k8s: "Bearer " with an empty token is an invalid credential).
 */
export function extractBearerToken(req: AuthRequest): string | null {
  const auth = headerString(req.headers.authorization)?.trim()
  let token: string | null = null
  if (auth !== undefined && auth !== '') {
    // k8s: strings.SplitN(auth, " ", 3), scheme case-insensitive, the token is the second part.
    const sp = auth.indexOf(' ')
    if (sp > 0 && auth.slice(0, sp).toLowerCase() === 'bearer') {
      const end = auth.indexOf(' ', sp + 1)
      token = end < 0 ? auth.slice(sp + 1) : auth.slice(sp + 1, end)
      if (token === '') throw new AuthError('invalid bearer token')
    }
  }
  if (token === null) token = websocketToken(req)
  if (token !== null && token.length > MAX_TOKEN_BYTES) throw new AuthError('bearer token too large')
  return token
}

function websocketToken(req: AuthRequest): string | null {
  if (headerString(req.headers.upgrade)?.toLowerCase() !== 'websocket') return null
  const protocols = req.headers['sec-websocket-protocol']
  if (protocols === undefined) return null
  const list = (Array.isArray(protocols) ? protocols.join(',') : protocols).split(',')
  for (const p of list) {
    const proto = p.trim()
    if (!proto.startsWith(WS_PROTOCOL_PREFIX)) continue
    const encoded = proto.slice(WS_PROTOCOL_PREFIX.length)
    if (encoded.length > (MAX_TOKEN_BYTES * 4) / 3 + 4) throw new AuthError('bearer token too large')
    if (!/^[A-Za-z0-9_-]*$/.test(encoded)) throw new AuthError('invalid bearer token')
    const token = Buffer.from(encoded, 'base64url').toString('utf8')
    if (token === '') throw new AuthError('invalid bearer token')
    return token
  }
  return null
}

/**
 * The request's bearer token and its cache key (tokenKey), null when it has none; memoised in the
 * request (AuthRequest.bearer), so the global and the workspace authenticators extract and hash it
 * once. Throws AuthError like extractBearerToken (never memoised: it is rare and must stay an error).
 */
export function bearerKey(req: AuthRequest): BearerKey {
  let k = req.bearer
  if (k === undefined) {
    const token = extractBearerToken(req)
    k = token === null ? null : { token, key: tokenKey(token) }
    req.bearer = k
  }
  return k
}

/** bearerKey() for the synchronous paths: undefined when the header is malformed. */
export function peekBearerKey(req: AuthRequest): BearerKey | undefined {
  try {
    return bearerKey(req)
  } catch {
    return undefined
  }
}

/**
 * Union of token authenticators (first success wins, like k8s' unionauth): an authenticator
 * that errors does not stop the others; if none accepts, the errors are reported together.
 */
export async function verifyWithUnion(token: string, authenticators: readonly TokenAuthenticator[]): Promise<VerifiedToken | null> {
  const errors: string[] = []
  for (const a of authenticators) {
    try {
      const r = await a.verifyToken(token)
      if (r !== null) return r
    } catch (err) {
      errors.push(`${a.name}: ${err instanceof AuthError ? err.message : 'internal error'}`)
    }
  }
  if (errors.length > 0) throw new AuthError(errors.join('; '))
  return null
}

export class BearerAuthenticator {
  readonly name = 'bearer'
  readonly #authenticators: readonly TokenAuthenticator[]
  readonly #cache: TokenCache
  /**
   * Cache keys of tokens no authenticator recognised (null, not an error): another authenticator's
   * tokens, such as a workspace issuer's. That answer depends only on configuration that is never
   * reloaded (token file, service-account issuers, OIDC issuers), so remembering it for 10 s lets a
   * cached workspace token be decided without a promise (authenticateCached) and is always right.
   */
  readonly #notOurs = new LRUCache<string, true>({ max: 10_000, ttl: 10_000, ttlAutopurge: false })

  constructor(authenticators: readonly TokenAuthenticator[], cache: TokenCache) {
    this.#authenticators = authenticators
    this.#cache = cache
  }

  get enabled(): boolean {
    return this.#authenticators.length > 0
  }

  /**
   * The cached result for the request's token, synchronously: a user, 'none' when no authenticator
   * recognised this token in the last 10 s, undefined when the request needs the asynchronous path
   * (no token, a malformed one, or one not decided in the last TTL).
   */
  peek(req: AuthRequest): { user: UserInfo; method: string } | 'none' | undefined {
    if (this.#authenticators.length === 0) return undefined
    const k = peekBearerKey(req)
    if (k === null || k === undefined) return undefined
    return this.#cache.peekKey(k.key) ?? (this.#notOurs.get(k.key) === true ? 'none' : undefined)
  }

  /** null when the request has no bearer token or no authenticator recognises it. */
  async authenticate(req: AuthRequest): Promise<{ user: UserInfo; method: string } | null> {
    if (this.#authenticators.length === 0) return null
    const k = bearerKey(req)
    if (k === null || this.#notOurs.get(k.key) === true) return null
    const r = await this.#cache.get(k.token, () => verifyWithUnion(k.token, this.#authenticators), k.key)
    if (r === null) this.#notOurs.set(k.key, true)
    return r
  }
}
