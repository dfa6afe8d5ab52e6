// The optional-authentication rule (docs/upstream.md#optional-authentication) over the authenticators createAuthentication()
// built, in the upstream union order (docs/upstream.md#global-authenticator), with the per-workspace authenticator last.
import type { Logger } from 'pino'
import type { CABundle } from './ca-bundle.js'
import { finalizeGroups, type GroupFilter } from './groups.js'
import { isSendableIdentity } from './headers.js'
import { NO_CREDENTIAL_ACCEPTED, type AuthMetrics } from './metrics.js'
import type { MetricsAuthorizer } from './metrics-authz.js'
import { AuthError, type AuthDecision, type AuthRequest, type Authenticator, type UserInfo } from './types.js'

const ANONYMOUS: AuthDecision = Object.freeze({ kind: 'anonymous' })

export interface AuthenticateOptions {
  /**
   * A per-workspace authenticator (kcp WorkspaceAuthentication, docs/upstream.md#workspace-authentication) resolved for this
   * request (WorkspaceAuthentication.authenticatorFor, src/auth/workspace). It is tried after the
   * global ones and forces authentication, as upstream. Its optional peek() lets
   * authenticateCached() decide a cached workspace token without a promise.
   */
  workspaceAuthenticator?: Authenticator & { peek?(req: AuthRequest): UserInfo | undefined }
}

export type MetricsAuthorization = { allowed: true; user: UserInfo } | { allowed: false; status: 401 | 403 | 500; message: string }

export interface Authentication {
  /** Optional authentication (docs/upstream.md#optional-authentication). */
  authenticate(req: AuthRequest, opts?: AuthenticateOptions): Promise<AuthDecision>
  /**
   * The same decision without a promise when it is already known: a client certificate chain its
   * connection already proved, or no certificate and a bearer token verified within the cache TTL
   * (by a global authenticator, or by the workspace authenticator given, when every global one
   * already said the token is not theirs). undefined = call authenticate() with the same options.
   */
  authenticateCached(req: AuthRequest, opts?: AuthenticateOptions): AuthDecision | undefined
  /** /metrics (docs/upstream.md#metrics-endpoint): strict authentication, then a SubjectAccessReview to root. */
  authorizeMetrics(req: AuthRequest): Promise<MetricsAuthorization>
  /** PEMs to request client certificates for (client CA ∪ requestheader CA); [] = do not request. */
  clientCAs(): string[]
  onClientCAsChange(cb: () => void): void
  close(): Promise<void>
}

export type Step = {
  name: string
  run: (req: AuthRequest) => Promise<{ user: UserInfo; method: string } | null>
  /** Answers null for every request without a client certificate (requestheader, x509). */
  certOnly?: boolean
  /** A cached answer, synchronously: 'none' = this step would answer null; undefined = ask run(). */
  peek?: (req: AuthRequest) => { user: UserInfo; method: string } | 'none' | undefined
}

type UnionResult = { user: UserInfo; method: string } | { error: string } | null

export interface EdgeParts {
  steps: Step[]
  additional: boolean
  groupFilter: GroupFilter | null
  /** --authentication-drop-groups alone, for workspace identities (see #finalizeWorkspace). */
  workspaceDrop: GroupFilter | null
  bundles: CABundle[]
  closers: (() => unknown)[]
  metrics: AuthMetrics
  logger: Logger
  authorizer?: MetricsAuthorizer
}

export class EdgeAuthentication implements Authentication {
  readonly #p: EdgeParts

  constructor(p: EdgeParts) {
    this.#p = p
  }

  // Cached authenticator results are stable objects: finalise (and check) each once, not per request.
  readonly #finalized = new WeakMap<UserInfo, UserInfo>()
  readonly #sendable = new WeakMap<UserInfo, boolean>()

  #finalize(user: UserInfo): UserInfo {
    let f = this.#finalized.get(user)
    if (f === undefined) {
      f = finalizeGroups(user, this.#p.groupFilter)
      this.#finalized.set(user, f)
    }
    return f
  }

  readonly #finalizedWorkspace = new WeakMap<UserInfo, UserInfo>()

  /**
   * A workspace identity already went through kcp's own chain (system: groups dropped,
   * system:authenticated added; src/auth/workspace/wrap.ts), which is all upstream applies. As
   * defence in depth the operator's drop list applies too, in place (no re-sort, so the groups keep
   * upstream's order); the pass-on list does not, as upstream (it would drop system:authenticated).
   */
  #finalizeWorkspace(user: UserInfo): UserInfo {
    const drop = this.#p.workspaceDrop
    if (drop === null) return user
    let f = this.#finalizedWorkspace.get(user)
    if (f === undefined) {
      const groups = drop(user.groups)
      f = groups.length === user.groups.length ? user : { ...user, groups }
      this.#finalizedWorkspace.set(user, f)
    }
    return f
  }

  #isSendable(user: UserInfo): boolean {
    let ok = this.#sendable.get(user)
    if (ok === undefined) {
      ok = isSendableIdentity(user)
      this.#sendable.set(user, ok)
    }
    return ok
  }

  /** k8s unionauth: first success wins; errors don't stop later authenticators. */
  async #union(req: AuthRequest, workspace: Authenticator | undefined): Promise<UnionResult> {
    const errors: string[] = []
    for (const step of this.#p.steps) {
      try {
        const r = await step.run(req)
        if (r !== null) return { user: this.#finalize(r.user), method: r.method }
      } catch (err) {
        errors.push(`${step.name}: ${err instanceof AuthError ? err.message : 'internal error'}`)
        if (!(err instanceof AuthError)) this.#p.logger.error({ authenticator: step.name, err: (err as Error).message }, 'authenticator failed')
      }
    }
    if (workspace !== undefined) {
      try {
        const u = await workspace.authenticate(req)
        if (u !== null) return { user: this.#finalizeWorkspace(u), method: 'workspace' }
      } catch (err) {
        errors.push(`workspace: ${err instanceof AuthError ? err.message : 'internal error'}`)
        if (!(err instanceof AuthError)) this.#p.logger.error({ authenticator: 'workspace', err: (err as Error).message }, 'authenticator failed')
      }
    }
    return errors.length > 0 ? { error: errors.join('; ') } : null
  }

  async authenticate(req: AuthRequest, opts: AuthenticateOptions = {}): Promise<AuthDecision> {
    const start = process.hrtime.bigint()
    const decision = await this.#decide(req, opts.workspaceAuthenticator)
    this.#p.metrics.decision(decision, Number(process.hrtime.bigint() - start) / 1e9)
    return decision
  }

  authenticateCached(req: AuthRequest, opts: AuthenticateOptions = {}): AuthDecision | undefined {
    // Only the common cases: the docs/upstream.md#optional-authentication anonymous pass-through, a client certificate chain this
    // connection already proved, or no certificate and a token a cache knows. Steps are asked in
    // union order and the first one that cannot answer synchronously (requestheader never can)
    // sends the request through authenticate(), so the answer is always the one the union would
    // give; so does every failure.
    const workspace = opts.workspaceAuthenticator
    const hasCert = req.peerCertificates.length > 0
    if (workspace === undefined && (this.#p.steps.length === 0 || (!hasCert && !this.#p.additional))) return ANONYMOUS
    const start = process.hrtime.bigint()
    for (const step of this.#p.steps) {
      // Without a certificate requestheader and x509 answer null.
      if (step.certOnly === true && !hasCert) continue
      const r = step.peek?.(req)
      if (r === 'none') continue
      if (r === undefined) return undefined
      return this.#cachedUser(this.#finalize(r.user), r.method, start)
    }
    // Every global step is known to answer null: the workspace authenticator is next in the union.
    const u = workspace?.peek?.(req)
    return u === undefined ? undefined : this.#cachedUser(this.#finalizeWorkspace(u), 'workspace', start)
  }

  #cachedUser(user: UserInfo, method: string, start: bigint): AuthDecision | undefined {
    if (!this.#isSendable(user)) return undefined
    const decision: AuthDecision = { kind: 'user', user, method }
    this.#p.metrics.decision(decision, Number(process.hrtime.bigint() - start) / 1e9)
    return decision
  }

  async #decide(req: AuthRequest, workspace: Authenticator | undefined): Promise<AuthDecision> {
    // Optional authentication (docs/upstream.md#optional-authentication), the one place it is decided: no authenticator, or no client certificate and no
    // "additional" method (token file, service accounts, OIDC, a workspace authenticator) → the
    // request passes on anonymously and the shard checks whatever credential it carries.
    const additional = this.#p.additional || workspace !== undefined
    if (this.#p.steps.length === 0 && workspace === undefined) return ANONYMOUS
    if (req.peerCertificates.length === 0 && !additional) return ANONYMOUS
    const r = await this.#union(req, workspace)
    if (r === null) return this.#unauthorized(NO_CREDENTIAL_ACCEPTED)
    if ('error' in r) return this.#unauthorized(r.error)
    if (!this.#isSendable(r.user)) return this.#unauthorized('identity contains characters that cannot be forwarded')
    return { kind: 'user', user: r.user, method: r.method }
  }

  #unauthorized(reason: string): AuthDecision {
    // Reasons name the failed check, never the credential.
    this.#p.logger.debug({ reason }, 'Unable to authenticate the request')
    return { kind: 'unauthorized', reason }
  }

  async authorizeMetrics(req: AuthRequest): Promise<MetricsAuthorization> {
    const start = process.hrtime.bigint()
    const r = await this.#union(req, undefined)
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    if (r === null || 'error' in r) {
      this.#p.metrics.decision({ kind: 'unauthorized', reason: r === null ? NO_CREDENTIAL_ACCEPTED : r.error }, seconds)
      return { allowed: false, status: 401, message: 'Unauthorized' }
    }
    this.#p.metrics.decision({ kind: 'user', user: r.user, method: r.method }, seconds)
    if (this.#p.authorizer === undefined) return { allowed: false, status: 500, message: 'Internal error occurred: no authorizer configured (root kubeconfig missing)' }
    try {
      const d = await this.#p.authorizer.authorize(r.user)
      if (d.allowed) return { allowed: true, user: r.user }
      return { allowed: false, status: 403, message: `forbidden: User "${r.user.name}" cannot get path "/metrics"${d.reason !== '' ? `: ${d.reason}` : ''}` }
    } catch (err) {
      this.#p.logger.error({ err: (err as Error).message }, 'metrics authorization failed')
      return { allowed: false, status: 500, message: `Internal error occurred: ${(err as Error).message}` }
    }
  }

  clientCAs(): string[] {
    return [...new Set(this.#p.bundles.flatMap((b) => b.pems))]
  }

  onClientCAsChange(cb: () => void): void {
    for (const b of this.#p.bundles) b.onChange(cb)
  }

  async close(): Promise<void> {
    for (const b of this.#p.bundles) b.close()
    await Promise.all(this.#p.closers.map((c) => c()))
  }
}
