// One JWT issuer's signing keys: OIDC discovery, the JWKS, refresh on age and on an unknown `kid`
// (rotation), and signature + standard-claim verification with jose. Shared by the global OIDC
// authenticator (--oidc-*) and the per-workspace JWT authenticators (WorkspaceAuthentication), so
// both rotate keys and survive an issuer outage the same way.
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTVerifyResult } from 'jose'
import type { Logger } from 'pino'
import { JSONClient } from '../http/json-client.js'
import { AuthError } from './types.js'

/** Allowed clock skew for exp/nbf (go-oidc allows 5 min for nbf only; we use one bound for both). */
export const CLOCK_SKEW_SECONDS = 30

export interface KeySetTiming {
  /** Keys older than this are refreshed in the background (default 10 min). */
  maxAgeMs: number
  /** Minimum gap between refreshes triggered by unknown `kid`s (default 10 s). */
  cooldownMs: number
}

export interface IssuerKeysOptions {
  /** The issuer: the discovery document's `issuer` and every token's `iss` must equal it. */
  issuer: string
  /** Where the discovery document is; default `<issuer>/.well-known/openid-configuration`. */
  discoveryURL?: string
  /** PEM roots for TLS to the issuer; default the system roots. */
  ca?: string
  logger: Logger
  timing?: Partial<KeySetTiming>
  /**
   * While no keys were ever loaded, a failed fetch is not retried for this long; requests in that
   * window fail at once instead of each waiting for another fetch. Default 0 (every request retries).
   */
  missingKeysRetryMs?: number
}

export interface VerifyOptions {
  /** The token must name at least one of these in `aud`. */
  audience: string | string[]
  algorithms: readonly string[]
}

export interface KeysStatus {
  loaded: boolean
  /** Why the last fetch failed (never secret: URLs and HTTP statuses). */
  lastError?: string
}

export class IssuerKeys {
  readonly issuer: string
  readonly #discoveryURL: string
  readonly #http: JSONClient
  readonly #logger: Logger
  readonly #timing: KeySetTiming
  readonly #missingKeysRetryMs: number
  #jwksURI: string | undefined
  #keys: ReturnType<typeof createLocalJWKSet> | undefined
  #fetchedAt = 0
  #lastAttempt = 0
  #lastError: string | undefined
  #refreshing: Promise<void> | undefined

  constructor(o: IssuerKeysOptions) {
    this.issuer = o.issuer
    this.#discoveryURL = o.discoveryURL || o.issuer.replace(/\/$/, '') + '/.well-known/openid-configuration'
    this.#http = new JSONClient({ ...(o.ca !== undefined && o.ca !== '' ? { ca: o.ca } : {}), timeoutMs: 5_000, maxBodyBytes: 1024 * 1024, connections: 16, requireJSON: true })
    this.#logger = o.logger
    this.#timing = { maxAgeMs: o.timing?.maxAgeMs ?? 600_000, cooldownMs: o.timing?.cooldownMs ?? 10_000 }
    this.#missingKeysRetryMs = o.missingKeysRetryMs ?? 0
  }

  /** Starts discovery and key fetching without waiting (startup must not hang on an issuer). */
  warmUp(): void {
    this.#refresh().catch(() => undefined)
  }

  status(): KeysStatus {
    return { loaded: this.#keys !== undefined, ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}) }
  }

  /** Resolves when the fetch in flight (if any) has ended. */
  settled(): Promise<void> {
    return (this.#refreshing ?? Promise.resolve()).catch(() => undefined)
  }

  async #discover(): Promise<string> {
    const url = this.#discoveryURL
    const res = await this.#http.send('GET', url)
    if (res.status !== 200) throw new Error(`discovery ${url}: HTTP ${res.status}`)
    const doc = res.body as { issuer?: unknown; jwks_uri?: unknown }
    if (doc.issuer !== this.issuer) throw new Error(`discovery ${url}: issuer ${JSON.stringify(doc.issuer)} does not match ${this.issuer}`)
    if (typeof doc.jwks_uri !== 'string' || !doc.jwks_uri.startsWith('https://')) throw new Error(`discovery ${url}: missing or non-https jwks_uri`)
    return doc.jwks_uri
  }

  /** One refresh at a time; failures keep the keys we have (cached keys keep verifying). */
  #refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      this.#lastAttempt = Date.now()
      try {
        this.#jwksURI ??= await this.#discover()
        const res = await this.#http.send('GET', this.#jwksURI)
        const jwks = res.body as JSONWebKeySet | undefined
        if (res.status !== 200 || !Array.isArray(jwks?.keys)) throw new Error(`JWKS ${this.#jwksURI}: HTTP ${res.status} or no keys`)
        this.#keys = createLocalJWKSet(jwks)
        this.#fetchedAt = Date.now()
        this.#lastError = undefined
      } catch (err) {
        this.#lastError = (err as Error).message
        this.#logger.warn({ issuer: this.issuer, err: this.#lastError }, 'OIDC key refresh failed; keeping cached keys')
        throw err
      } finally {
        this.#refreshing = undefined
      }
    })()
    return this.#refreshing
  }

  async #verifyOnce(token: string, o: VerifyOptions): Promise<JWTVerifyResult> {
    const keys = this.#keys
    if (keys === undefined) throw new AuthError('oidc: issuer keys not available')
    return jwtVerify(token, keys, {
      issuer: this.issuer,
      audience: o.audience,
      algorithms: [...o.algorithms],
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ['exp'],
    })
  }

  /** Verifies signature, `iss`, `aud`, `exp` (required) and `nbf`. Throws AuthError. */
  async verify(token: string, o: VerifyOptions): Promise<JWTVerifyResult> {
    let header
    try {
      header = decodeProtectedHeader(token)
    } catch (err) {
      throw toAuthError(err)
    }
    if (typeof header.alg !== 'string' || !o.algorithms.includes(header.alg)) throw new AuthError(`oidc: signing algorithm ${String(header.alg)} not allowed`)
    const now = Date.now()
    if (this.#keys === undefined) {
      // Never loaded: wait for one fetch (bounded by the client's timeouts), unless one just failed.
      if (this.#refreshing !== undefined || now - this.#lastAttempt >= this.#missingKeysRetryMs) await this.#refresh().catch(() => undefined)
    } else if (now - this.#fetchedAt > this.#timing.maxAgeMs) {
      this.#refresh().catch(() => undefined) // stale keys still verify while the refresh runs
    }
    try {
      return await this.#verifyOnce(token, o)
    } catch (err) {
      // Key rotation: an unknown kid triggers one refresh (rate limited), then one retry.
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - this.#lastAttempt < this.#timing.cooldownMs) throw toAuthError(err)
      await this.#refresh().catch(() => undefined)
      try {
        return await this.#verifyOnce(token, o)
      } catch (err2) {
        throw toAuthError(err2)
      }
    }
  }

  close(): Promise<void> {
    return this.#http.close()
  }
}

export function toAuthError(err: unknown): AuthError {
  if (err instanceof AuthError) return err
  // jose messages name the failed check ("exp" claim timestamp check failed, ...), never the token.
  if (err instanceof joseErrors.JOSEError) return new AuthError(`oidc: ${err.code}: ${err.message}`)
  return new AuthError('oidc: verification failed')
}
