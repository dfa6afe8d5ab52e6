// OIDC bearer tokens (--oidc-* flags, plus more issuers via oidcIssuers), with the
// Kubernetes claim rules. Keys come from the issuer's discovery document and JWKS; the
// verifier is picked by the token's (unverified) `iss` before any signature check.
// Issuers arrive completed and validated (src/config): https URLs, client IDs, defaults,
// no issuer twice.
import { readFileSync } from 'node:fs'
import { decodeJwt, type JWTPayload } from 'jose'
import type { Logger } from 'pino'
import { isJWTSigningAlg } from '../config/signing-algs.js'
import type { OIDCIssuerOptions } from '../config/types.js'
import type { VerifiedToken } from './cache.js'
import type { TokenAuthenticator } from './bearer.js'
import { IssuerKeys, toAuthError, type KeySetTiming } from './jwks.js'
import { AuthError, type UserInfo } from './types.js'

export { CLOCK_SKEW_SECONDS, type KeySetTiming } from './jwks.js'

/** The Kubernetes username rule: prefix '' → `<issuer>#` unless the claim is `email`; '-' → none. */
export function usernamePrefix(o: Pick<OIDCIssuerOptions, 'issuerURL' | 'usernameClaim' | 'usernamePrefix'>): string {
  if (o.usernamePrefix === '-') return ''
  if (o.usernamePrefix !== '') return o.usernamePrefix
  return o.usernameClaim === 'email' ? '' : `${o.issuerURL}#`
}

/** Maps verified claims to a user (k8s legacy OIDC flag semantics). Throws AuthError. */
export function userFromClaims(claims: JWTPayload, o: OIDCIssuerOptions): UserInfo {
  const claim = o.usernameClaim
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
  return { name: usernamePrefix(o) + username, groups, extra: {} }
}

/** One issuer: its keys (src/auth/jwks.ts) and the legacy flag claim rules. */
export class OIDCVerifier {
  readonly issuer: string
  readonly #opts: OIDCIssuerOptions
  readonly #algs: string[]
  readonly #keys: IssuerKeys

  constructor(opts: OIDCIssuerOptions, logger: Logger, timing: Partial<KeySetTiming> = {}) {
    this.issuer = opts.issuerURL
    this.#opts = opts
    // validateOptions() refused these already; this is the line jose's allow-list comes from, so an
    // HS* or `none` here, however it got in, must never reach it (HS* = forgeable with the public key).
    for (const a of opts.signingAlgs) {
      if (!isJWTSigningAlg(a)) throw new Error(`oidc issuer ${opts.issuerURL}: signing algorithm ${JSON.stringify(a)} is not supported`)
    }
    this.#algs = opts.signingAlgs
    let ca: string | undefined
    if (opts.caFile !== '') {
      try {
        ca = readFileSync(opts.caFile, 'utf8')
      } catch (err) {
        throw new Error(`${opts.caFile}: cannot read OIDC CA file: ${(err as Error).message}`)
      }
    }
    this.#keys = new IssuerKeys({ issuer: opts.issuerURL, ...(ca !== undefined ? { ca } : {}), logger, timing })
  }

  /** Starts discovery and key fetching without waiting (startup must not hang on an issuer). */
  warmUp(): void {
    this.#keys.warmUp()
  }

  async verify(token: string): Promise<VerifiedToken> {
    const result = await this.#keys.verify(token, { audience: this.#opts.clientID, algorithms: this.#algs })
    const user = userFromClaims(result.payload, this.#opts)
    return { user, method: 'oidc', ...(result.payload.exp !== undefined ? { expiresAt: result.payload.exp * 1000 } : {}) }
  }

  close(): Promise<void> {
    return this.#keys.close()
  }
}

/** Routes a token to the verifier of its `iss`; tokens of other issuers are not ours (null). */
export class OIDCAuthenticator implements TokenAuthenticator {
  readonly name = 'oidc'
  readonly #byIssuer = new Map<string, OIDCVerifier>()

  constructor(issuers: readonly OIDCIssuerOptions[], logger: Logger, timing?: Partial<KeySetTiming>) {
    for (const o of issuers) this.#byIssuer.set(o.issuerURL, new OIDCVerifier(o, logger, timing))
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
