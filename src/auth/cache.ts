// Token verification cache (spec §1.3: upstream caches successes 10 s, failures not at all).
// Keys are SHA-256 of a per-process random secret followed by the token: a heap dump or a
// debug listing of the cache never reveals a usable credential, and the keys cannot be
// precomputed offline. (Not an HMAC: length extension gives nothing here, since nobody outside
// sees a key, and createHmac's per-call key setup was the largest single cost of a cached
// token, ~10 µs per request; one-shot crypto.hash is ~2 µs.) Identical verifications in
// flight are collapsed into one.
import { hash, randomBytes } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { UserInfo } from './types.js'

export interface VerifiedToken {
  user: UserInfo
  /** The authenticator that accepted the token (metrics label). */
  method: string
  /** Token expiry in ms since the epoch, when the token says. */
  expiresAt?: number
}

export interface TokenCacheOptions {
  /** Most entries kept (default 10 000). */
  max?: number
  /** Success TTL in ms (default 10 000, upstream's value). */
  ttlMs?: number
  now?: () => number
}

// One secret per process, so every cache (global bearer, each workspace type) keys a token the same
// way and a request's token is hashed once however many caches look at it (tokenKey()).
const secret = randomBytes(32).toString('base64url')

/** The cache key of a token: never the token itself. */
export function tokenKey(token: string): string {
  return hash('sha256', secret + token, 'base64url')
}

export class TokenCache {
  readonly #lru: LRUCache<string, VerifiedToken>
  readonly #inflight = new Map<string, Promise<VerifiedToken | null>>()
  readonly #ttl: number
  readonly #now: () => number

  constructor(opts: TokenCacheOptions = {}) {
    this.#ttl = opts.ttlMs ?? 10_000
    this.#now = opts.now ?? Date.now
    this.#lru = new LRUCache({ max: opts.max ?? 10_000, ttl: this.#ttl, ttlAutopurge: false })
  }

  /** The cache key of a token (exposed for tests: the raw token is never a key). */
  keyOf(token: string): string {
    return tokenKey(token)
  }

  /** Keys currently stored (for tests and debugging; never tokens). */
  keys(): string[] {
    return [...this.#lru.keys()]
  }

  get size(): number {
    return this.#lru.size
  }

  /** The cached result for a token, synchronously; undefined when there is none (or it expired). */
  peek(token: string): VerifiedToken | undefined {
    return this.#fresh(this.keyOf(token))
  }

  /** peek() by a key from keyOf() or tokenKey(), for callers that have it (one hash per request). */
  peekKey(key: string): VerifiedToken | undefined {
    return this.#fresh(key)
  }

  /**
   * Returns the cached result or runs `verify` once for all concurrent callers with the same
   * token. Only successes are cached; null (no authenticator recognised it) and errors are not,
   * so a fixed token or a recovered issuer takes effect on the next request.
   */
  async get(token: string, verify: () => Promise<VerifiedToken | null>, key = this.keyOf(token)): Promise<VerifiedToken | null> {
    const hit = this.#fresh(key)
    if (hit !== undefined) return hit
    const running = this.#inflight.get(key)
    if (running !== undefined) return running
    const p = verify().then(
      (result) => {
        this.#inflight.delete(key)
        if (result !== null) this.#store(key, result)
        return result
      },
      (err: unknown) => {
        this.#inflight.delete(key)
        throw err
      },
    )
    this.#inflight.set(key, p)
    return p
  }

  /** The entry under `key` unless the token itself has expired since (then it is dropped). */
  #fresh(key: string): VerifiedToken | undefined {
    const hit = this.#lru.get(key)
    if (hit === undefined || hit.expiresAt === undefined || hit.expiresAt > this.#now()) return hit
    this.#lru.delete(key)
    return undefined
  }

  #store(key: string, result: VerifiedToken): void {
    let ttl = this.#ttl
    if (result.expiresAt !== undefined) ttl = Math.min(ttl, result.expiresAt - this.#now())
    if (ttl >= 1) this.#lru.set(key, result, { ttl })
  }

  clear(): void {
    this.#lru.clear()
  }
}
