// The contract between authentication (src/auth) and the request pipeline (src/proxy, src/server).
import type { IncomingHttpHeaders } from 'node:http'
import type { X509Certificate } from 'node:crypto'

export interface UserInfo {
  name: string
  uid?: string
  groups: string[]
  extra: Record<string, string[]>
}

/** What an authenticator may look at. Never log it: it carries credentials. */
export interface AuthRequest {
  headers: IncomingHttpHeaders
  /** Verified-by-nobody peer chain, leaf first; authenticators verify it themselves. Empty when none. */
  peerCertificates: X509Certificate[]
  /**
   * Optional: every value of every header, unjoined (Node's `req.headersDistinct`). Node joins
   * repeated headers with ", " in `headers`; requestheader authentication needs each
   * X-Remote-Group value separately, as Go sees them. Falls back to `headers` when absent.
   */
  headersDistinct?: Record<string, string[] | undefined>
  /**
   * src/auth/bearer.ts's memo of this request's bearer token and its cache key (undefined: not yet
   * extracted), so the global and the workspace authenticators hash it once. A field of the request
   * rather than a WeakMap keyed by it: an ephemeron entry per request cost ≈ 1 µs and extra major
   * GCs (bench/auth.bench.ts: +12 % cached workspace decisions per CPU-second; bench/README.md, stop 26).
   */
  bearer?: BearerKey
}

/** A request's bearer token and its cache key (src/auth/cache.ts tokenKey); null: the request has none. */
export type BearerKey = { token: string; key: string } | null

/**
 * One authentication method. Returns null when the request carries no credential of its kind
 * (so the next method may try), a user on success, and throws AuthError when a credential of
 * its kind is present but invalid.
 */
export interface Authenticator {
  readonly name: string
  authenticate(req: AuthRequest): Promise<UserInfo | null>
}

export class AuthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AuthError'
  }
}

/** The outcome of the optional-authentication step (docs/upstream.md#optional-authentication). */
export type AuthDecision =
  | { kind: 'user'; user: UserInfo; method: string }
  /** Authentication did not run: pass on with identity headers cleared; the shard validates tokens. */
  | { kind: 'anonymous' }
  | { kind: 'unauthorized'; reason: string }

/** Header names a mapping uses to pass the identity (docs/upstream.md#mapping-format, #identity-headers). */
export interface IdentityHeaderNames {
  user: string
  group: string
  extraPrefix: string
}

export const defaultIdentityHeaderNames: IdentityHeaderNames = {
  user: 'X-Remote-User',
  group: 'X-Remote-Group',
  extraPrefix: 'X-Remote-Extra-',
}
