// OIDC bearer tokens (--oidc-* flags, plus more issuers via oidcIssuers), with the
// Kubernetes claim rules. Keys come from the issuer's discovery document and JWKS; the
// verifier is picked by the token's (unverified) `iss` before any signature check.
import { readFileSync } from 'node:fs'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose'
import type { Logger } from 'pino'
import type { OIDCIssuerOptions } from '../config/types.js'
import type { VerifiedToken } from './cache.js'
import type { TokenAuthenticator } from './bearer.js'
import { JSONClient } from './http.js'
import { AuthError, type UserInfo } from './types.js'

/** Allowed clock skew for exp/nbf (go-oidc allows 5 min for nbf only; we use one bound for both). */
export const CLOCK_SKEW_SECONDS = 30
const ASYMMETRIC_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])

export interface KeySetTiming {
  /** Keys older than this are refreshed in the background (default 10 min). */
  maxAgeMs: number
  /** Minimum gap between refreshes triggered by unknown `kid`s (default 10 s). */
  cooldownMs: number
}

/** The Kubernetes username rule: prefix '' → `<issuer>#` unless the claim is `email`; '-' → none. */
export function usernamePrefix(o: Pick<OIDCIssuerOptions, 'issuerURL' | 'usernameClaim' | 'usernamePrefix'>): string {
  if (o.usernamePrefix === '-') return ''
  if (o.usernamePrefix !== '') return o.usernamePrefix
  return o.usernameClaim === 'email' ? '' : `${o.issuerURL}#`
}

/** Maps verified claims to a user (k8s legacy OIDC flag semantics). Throws AuthError. */
export function userFromClaims(claims: JWTPayload, o: OIDCIssuerOptions): UserInfo {
  const claim = o.usernameClaim || 'sub'
  const username = claims[claim]
  if (typeof username !== 'string' || username === '') throw new AuthError(`oidc: claim ${JSON.stringify(claim)} not present or not a string`)
  if (claim === 'email' && 'email_verified' in claims) {
    if (claims.email_verified !== true) throw new AuthError('oidc: email not verified')
  }
  let groups: string[] = []
  if (o.groupsClaim !== '' && o.groupsClaim in claims) {
    const g = claims[o.groupsClaim]
    if (typeof g === 'string') groups = [g]
    else if (Array.isArray(g) && g.every((x) => typeof x === 'string')) groups = g
    else throw new AuthError(`oidc: groups claim ${JSON.stringify(o.groupsClaim)} is not a string or an array of strings`)
    groups = groups.map((x) => o.groupsPrefix + x)
  }
  for (const [k, want] of Object.entries(o.requiredClaims)) {
    if (claims[k] !== want) throw new AuthError(`oidc: required claim ${JSON.stringify(k)} missing or not matching`)
  }
  return { name: usernamePrefix({ ...o, usernameClaim: claim }) + username, groups, extra: {} }
}

/** One issuer: discovery, keys with refresh on rotation, verification. */
export class OIDCVerifier {
  readonly issuer: string
  readonly #opts: OIDCIssuerOptions
  readonly #algs: string[]
  readonly #http: JSONClient
  readonly #logger: Logger
  readonly #timing: KeySetTiming
  #jwksURI: string | undefined
  #keys: ReturnType<typeof createLocalJWKSet> | undefined
  #fetchedAt = 0
  #lastAttempt = 0
  #refreshing: Promise<void> | undefined

  constructor(opts: OIDCIssuerOptions, logger: Logger, timing: Partial<KeySetTiming> = {}) {
    if (!opts.issuerURL.startsWith('https://')) throw new Error(`oidc issuer ${JSON.stringify(opts.issuerURL)}: URL must use https`)
    if (opts.clientID === '') throw new Error(`oidc issuer ${opts.issuerURL}: client ID is required`)
    this.issuer = opts.issuerURL
    this.#opts = opts
    const algs = opts.signingAlgs.length > 0 ? opts.signingAlgs : ['RS256']
    for (const a of algs) {
      // HS* would let anyone holding the issuer's *public* key mint tokens; none is no signature.
      if (!ASYMMETRIC_ALGS.has(a)) throw new Error(`oidc issuer ${opts.issuerURL}: signing algorithm ${JSON.stringify(a)} is not supported`)
    }
    this.#algs = algs
    let ca: string | undefined
    if (opts.caFile !== '') {
      try {
        ca = readFileSync(opts.caFile, 'utf8')
      } catch (err) {
        throw new Error(`${opts.caFile}: cannot read OIDC CA file: ${(err as Error).message}`)
      }
    }
    this.#http = new JSONClient({ ...(ca !== undefined ? { ca } : {}), timeoutMs: 5_000, maxBodyBytes: 1024 * 1024 })
    this.#logger = logger
    this.#timing = { maxAgeMs: timing.maxAgeMs ?? 600_000, cooldownMs: timing.cooldownMs ?? 10_000 }
  }

  /** Starts discovery and key fetching without waiting (startup must not hang on an issuer). */
  warmUp(): void {
    this.#refresh().catch(() => undefined)
  }

  async #discover(): Promise<string> {
    const url = this.issuer.replace(/\/$/, '') + '/.well-known/openid-configuration'
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
      } catch (err) {
        this.#logger.warn({ issuer: this.issuer, err: (err as Error).message }, 'OIDC key refresh failed; keeping cached keys')
        throw err
      } finally {
        this.#refreshing = undefined
      }
    })()
    return this.#refreshing
  }

  async #verifyOnce(token: string) {
    const keys = this.#keys
    if (keys === undefined) throw new AuthError('oidc: issuer keys not available')
    return jwtVerify(token, keys, {
      issuer: this.issuer,
      audience: this.#opts.clientID,
      algorithms: this.#algs,
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ['exp'],
    })
  }

  async verify(token: string): Promise<VerifiedToken> {
    const header = decodeProtectedHeader(token)
    if (typeof header.alg !== 'string' || !this.#algs.includes(header.alg)) throw new AuthError(`oidc: signing algorithm ${String(header.alg)} not allowed`)
    const now = Date.now()
    if (this.#keys === undefined || now - this.#fetchedAt > this.#timing.maxAgeMs) {
      if (this.#keys === undefined) await this.#refresh().catch(() => undefined)
      else this.#refresh().catch(() => undefined) // stale keys still verify while the refresh runs
    }
    let result
    try {
      result = await this.#verifyOnce(token)
    } catch (err) {
      // Key rotation: an unknown kid triggers one refresh (rate limited), then one retry.
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - this.#lastAttempt < this.#timing.cooldownMs) throw toAuthError(err)
      await this.#refresh().catch(() => undefined)
      try {
        result = await this.#verifyOnce(token)
      } catch (err2) {
        throw toAuthError(err2)
      }
    }
    const user = userFromClaims(result.payload, this.#opts)
    return { user, method: 'oidc', ...(result.payload.exp !== undefined ? { expiresAt: result.payload.exp * 1000 } : {}) }
  }

  close(): Promise<void> {
    return this.#http.close()
  }
}

function toAuthError(err: unknown): AuthError {
  if (err instanceof AuthError) return err
  // jose messages name the failed check ("exp" claim timestamp check failed, ...), never the token.
  if (err instanceof joseErrors.JOSEError) return new AuthError(`oidc: ${err.code}: ${err.message}`)
  return new AuthError('oidc: verification failed')
}

/** Routes a token to the verifier of its `iss`; tokens of other issuers are not ours (null). */
export class OIDCAuthenticator implements TokenAuthenticator {
  readonly name = 'oidc'
  readonly #byIssuer = new Map<string, OIDCVerifier>()

  constructor(issuers: readonly OIDCIssuerOptions[], logger: Logger, timing?: Partial<KeySetTiming>) {
    for (const o of issuers) {
      if (this.#byIssuer.has(o.issuerURL)) throw new Error(`oidc issuer ${o.issuerURL} configured twice`)
      this.#byIssuer.set(o.issuerURL, new OIDCVerifier(o, logger, timing))
    }
  }

  warmUp(): void {
    for (const v of this.#byIssuer.values()) v.warmUp()
  }

  async verifyToken(token: string): Promise<VerifiedToken | null> {
    let iss: unknown
    try {
      iss = decodeJwt(token).iss
    } catch {
      return null // not a JWT: another authenticator's token
    }
    const v = typeof iss === 'string' ? this.#byIssuer.get(iss) : undefined
    if (v === undefined) return null
    try {
      return await v.verify(token)
    } catch (err) {
      throw toAuthError(err)
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#byIssuer.values()].map((v) => v.close()))
  }
}
