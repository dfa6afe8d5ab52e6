// One `spec.jwt` entry of a WorkspaceAuthenticationConfiguration as a token verifier: its issuer's
// keys (shared machinery with global OIDC, src/auth/jwks.ts), Kubernetes' audience rule, the
// --api-audiences requirement, and the claim mappings (mapping.ts).
import { jwtSigningAlgs } from '../../config/signing-algs.js'
import type { KeysStatus } from '../jwks.js'
import { AuthError, type UserInfo } from '../types.js'
import type { CompiledJWT } from './jwt-config.js'
import { mapClaims } from './mapping.js'
import type { KeysLease, SharedIssuerKeys } from './shared-keys.js'

export interface JWTAuthenticatorOptions {
  /** --api-audiences: when set, a token must also name one of them (kcp's documented rule). */
  apiAudiences: readonly string[]
  /** Where the issuer's keys come from: shared with every other WAC naming the same IdP. */
  keys: SharedIssuerKeys
}

export class JWTAuthenticator {
  readonly issuer: string
  readonly #c: CompiledJWT
  readonly #lease: KeysLease
  readonly #apiAudiences: readonly string[]

  constructor(c: CompiledJWT, o: JWTAuthenticatorOptions) {
    this.issuer = c.issuer
    this.#c = c
    this.#apiAudiences = o.apiAudiences
    this.#lease = o.keys.acquire({ issuer: c.issuer, discoveryURL: c.discoveryURL, ca: c.certificateAuthority })
  }

  warmUp(): void {
    this.#lease.keys.warmUp()
  }

  status(): KeysStatus {
    return this.#lease.keys.status()
  }

  /** Resolves when the first key fetch has ended, loaded or not. */
  async settled(): Promise<void> {
    await this.#lease.keys.settled()
  }

  /** Verifies a token whose (unverified) `iss` is this issuer. Throws AuthError. */
  async verify(token: string): Promise<{ user: UserInfo; expiresAt: number | undefined }> {
    // MatchAny over the configured audiences (jose: at least one in common).
    const { payload } = await this.#lease.keys.verify(token, { audience: this.#c.audiences, algorithms: jwtSigningAlgs })
    if (this.#apiAudiences.length > 0) {
      const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? [])
      if (!aud.some((a) => this.#apiAudiences.includes(a))) throw new AuthError('oidc: the token is not for this API: none of its audiences is one of --api-audiences')
    }
    return { user: mapClaims(this.#c, payload), expiresAt: payload.exp !== undefined ? payload.exp * 1000 : undefined }
  }

  /** Lets go of the issuer's keys; they are closed when no other WAC holds them. */
  close(): Promise<void> {
    return this.#lease.release()
  }
}
