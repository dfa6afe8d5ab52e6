// The authenticator of one workspace type: the union of the WACs it lists (first success wins, a
// failing one does not stop the next, as k8s unionauth), then kcp's wrapping (wrap.ts). Results are
// cached by token hash (src/auth/cache.ts) until min(10 s, token expiry); the per-cluster scope is
// added on top of the cached identity, memoised so a cached token costs a hash and two map reads.
import { decodeJwt } from 'jose'
import { bearerKey, peekBearerKey } from '../bearer.js'
import { TokenCache, type VerifiedToken } from '../cache.js'
import { AuthError, type AuthRequest, type UserInfo } from '../types.js'
import type { BuiltAuthConfig } from './wac.js'
import { withClusterScope, workspaceUser } from './wrap.js'
import type { WorkspaceAuthenticator } from './types.js'

const MAX_MEMOISED_CLUSTERS = 10_000

export class TypeAuthenticator {
  readonly #members: readonly BuiltAuthConfig[]
  readonly #cache = new TokenCache()
  /** Base identity (a cache entry) → logical cluster → scoped identity. */
  readonly #scoped = new WeakMap<UserInfo, Map<string, UserInfo>>()

  constructor(members: readonly BuiltAuthConfig[]) {
    this.#members = members
  }

  /** For tests: the cache keys are hashes, never tokens. */
  get cache(): TokenCache {
    return this.#cache
  }

  /** One authenticator object per logical cluster, so a request allocates none (bounded: cleared when full). */
  readonly #byCluster = new Map<string, WorkspaceAuthenticator>()

  forCluster(logicalCluster: string): WorkspaceAuthenticator {
    let a = this.#byCluster.get(logicalCluster)
    if (a === undefined) {
      if (this.#byCluster.size >= MAX_MEMOISED_CLUSTERS) this.#byCluster.clear()
      this.#byCluster.set(logicalCluster, (a = this.#newForCluster(logicalCluster)))
    }
    return a
  }

  #newForCluster(logicalCluster: string): WorkspaceAuthenticator {
    return {
      name: 'workspace',
      authenticate: async (req) => {
        const k = bearerKey(req)
        if (k === null) return null
        const r = await this.#cache.get(k.token, () => this.#verify(k.token), k.key)
        return r === null ? null : this.#scope(r.user, logicalCluster)
      },
      peek: (req: AuthRequest) => {
        const k = peekBearerKey(req)
        const r = k === null || k === undefined ? undefined : this.#cache.peekKey(k.key)
        return r === undefined ? undefined : this.#scope(r.user, logicalCluster)
      },
    }
  }

  #scope(base: UserInfo, logicalCluster: string): UserInfo {
    let byCluster = this.#scoped.get(base)
    if (byCluster === undefined) this.#scoped.set(base, (byCluster = new Map<string, UserInfo>()))
    let u = byCluster.get(logicalCluster)
    if (u === undefined) byCluster.set(logicalCluster, (u = withClusterScope(base, logicalCluster)))
    return u
  }

  /** null: no member's issuer is the token's `iss` (not a token of this workspace type). */
  async #verify(token: string): Promise<VerifiedToken | null> {
    let iss: unknown
    try {
      iss = decodeJwt(token).iss
    } catch {
      return null
    }
    if (typeof iss !== 'string') return null
    const candidates = this.#members.flatMap((m) => m.forIssuer(iss))
    if (candidates.length === 0) return null
    const errors: string[] = []
    for (const a of candidates) {
      let r
      try {
        r = await a.verify(token)
      } catch (err) {
        errors.push(err instanceof AuthError ? err.message : 'internal error')
        continue
      }
      // The first success decides; kcp's filters then apply to it (a system: name fails the union).
      return { user: workspaceUser(r.user), method: 'workspace', ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}) }
    }
    throw new AuthError(errors.join('; '))
  }
}
