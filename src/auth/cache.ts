// Token verification cache (docs/upstream.md#authentication-flags: upstream caches successes 10 s, failures not at all).
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

/** Upstream's token-cache statistics (k8s token/cache/stats.go), fed to metrics. */
export interface TokenCacheStats {
  /** A lookup answered from the cache (hit) or after a verification (miss), `seconds` after it began. */
  request(hit: boolean, seconds: number): void
  /** A caller waits for a verification (its own or one in flight); the returned function ends the wait. */
  blocking(): () => void
  /** A verification starts; the returned function reports whether it ended without an error. */
  fetching(): (ok: boolean) => void
}

export interface TokenCacheOptions {
  /** Most entries kept (default 10 000). */
  max?: number
  /** Success TTL in ms (default 10 000, upstream's value). */
  ttlMs?: number
  now?: () => number
  stats?: TokenCacheStats
}

const secondsSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9

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
  readonly #stats: TokenCacheStats | undefined

  constructor(opts: TokenCacheOptions = {}) {
    this.#ttl = opts.ttlMs ?? 10_000
    this.#now = opts.now ?? Date.now
    this.#stats = opts.stats
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
    return this.peekKey(this.keyOf(token))
  }

  /** peek() by a key from keyOf() or tokenKey(), for callers that have it (one hash per request). */
  peekKey(key: string): VerifiedToken | undefined {
    const start = process.hrtime.bigint()
    const hit = this.#fresh(key)
    // Only hits count here: a miss goes on to get(), which counts it.
    if (hit !== undefined) this.#stats?.request(true, secondsSince(start))
    return hit
  }

  /**
   * Returns the cached result or runs `verify` once for all concurrent callers with the same
   * token. Only successes are cached; null (no authenticator recognised it) and errors are not,
   * so a fixed token or a recovered issuer takes effect on the next request.
   */
  async get(token: string, verify: () => Promise<VerifiedToken | null>, key = this.keyOf(token)): Promise<VerifiedToken | null> {
    const start = process.hrtime.bigint()
    const hit = this.#fresh(key)
    if (hit !== undefined) {
      this.#stats?.request(true, secondsSince(start))
      return hit
    }
    const stats = this.#stats
    if (stats === undefined) return this.#verifyOnce(key, verify)
    // As upstream: every caller of a miss is blocked until the (shared) verification ends.
    const unblock = stats.blocking()
    try {
      return await this.#verifyOnce(key, verify)
    } finally {
      unblock()
      stats.request(false, secondsSince(start))
    }
  }

  /** Runs `verify` once for all concurrent callers with the same key; stores successes. */
  #verifyOnce(key: string, verify: () => Promise<VerifiedToken | null>): Promise<VerifiedToken | null> {
    const running = this.#inflight.get(key)
    if (running !== undefined) return running
    const fetched = this.#stats?.fetching()
    const p = verify().then(
      (result) => {
        this.#inflight.delete(key)
        fetched?.(true)
        if (result !== null) this.#store(key, result)
        return result
      },
      (err: unknown) => {
        this.#inflight.delete(key)
        fetched?.(false)
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
