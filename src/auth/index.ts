// Authentication at the edge: builds the authenticators from the upstream flags and applies
// the optional-authentication rule (spec §5.1) in the upstream union order (spec §5.2).
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { AuthenticationOptions, OIDCIssuerOptions } from '../config/types.js'
import type { KubeClientConfig } from '../kube/kubeconfig.js'
import { BearerAuthenticator, type TokenAuthenticator } from './bearer.js'
import { CABundle } from './ca-bundle.js'
import { TokenCache } from './cache.js'
import { createGroupFilter, finalizeGroups, type GroupFilter } from './groups.js'
import { isSendableIdentity } from './headers.js'
import { JSONClient } from './http.js'
import { authMetrics, NO_CREDENTIAL_ACCEPTED, type AuthMetrics } from './metrics.js'
import { MetricsAuthorizer } from './metrics-authz.js'
import { OIDCAuthenticator, type KeySetTiming } from './oidc.js'
import { RequestHeaderAuthenticator } from './requestheader.js'
import { DEFAULT_SA_ISSUER, loadSAKeys, ServiceAccountAuthenticator } from './serviceaccount.js'
import { TokenFileAuthenticator } from './tokenfile.js'
import { AuthError, type AuthDecision, type AuthRequest, type Authenticator, type UserInfo } from './types.js'
import { X509Authenticator } from './x509.js'

export { applyIdentityHeaders, goPathEscape } from './headers.js'
export type { AuthDecision, AuthRequest, Authenticator, UserInfo } from './types.js'

export interface AuthenticateOptions {
  /**
   * A per-workspace authenticator (kcp WorkspaceAuthentication, spec §5.5) resolved for this
   * request. It is tried after the global ones and forces authentication, as upstream.
   */
  workspaceAuthenticator?: Authenticator
}

export type MetricsAuthorization = { allowed: true; user: UserInfo } | { allowed: false; status: 401 | 403 | 500; message: string }

export interface Authentication {
  /** Spec §5.1 optional authentication. */
  authenticate(req: AuthRequest, opts?: AuthenticateOptions): Promise<AuthDecision>
  /**
   * The same decision without a promise when it is already known: a client certificate chain its
   * connection already proved, or no certificate and a bearer token verified within the cache TTL.
   * undefined = call authenticate().
   */
  authenticateCached(req: AuthRequest): AuthDecision | undefined
  /** /metrics (spec §6.2): strict authentication, then a SubjectAccessReview to root. */
  authorizeMetrics(req: AuthRequest): Promise<MetricsAuthorization>
  /** PEMs to request client certificates for (client CA ∪ requestheader CA); [] = do not request. */
  clientCAs(): string[]
  onClientCAsChange(cb: () => void): void
  close(): Promise<void>
}

export interface AuthenticationDeps {
  rootConfig?: KubeClientConfig
  logger: Logger
  registry: Registry
  /** Test hooks: CA bundle poll interval and OIDC key timing. */
  caPollMs?: number
  oidcTiming?: Partial<KeySetTiming>
}

/** The --oidc-* flags as one issuer entry. */
export function primaryIssuer(o: AuthenticationOptions): OIDCIssuerOptions[] {
  if (o.oidcIssuerURL === '') return []
  return [
    {
      issuerURL: o.oidcIssuerURL,
      clientID: o.oidcClientID,
      caFile: o.oidcCAFile,
      usernameClaim: o.oidcUsernameClaim,
      usernamePrefix: o.oidcUsernamePrefix,
      groupsClaim: o.oidcGroupsClaim,
      groupsPrefix: o.oidcGroupsPrefix,
      signingAlgs: o.oidcSigningAlgs,
      requiredClaims: o.oidcRequiredClaim,
    },
  ]
}

/** Upstream AdditionalAuthEnabled, extended to our extra OIDC issuers. */
export function additionalAuthEnabled(o: AuthenticationOptions): boolean {
  return o.tokenAuthFile !== '' || o.serviceAccountKeyFiles.length > 0 || o.oidcIssuerURL !== '' || o.oidcIssuers.length > 0
}

type Step = {
  name: string
  run: (req: AuthRequest) => Promise<{ user: UserInfo; method: string } | null>
  /** Answers null for every request without a client certificate (requestheader, x509). */
  certOnly?: boolean
  /** A cached answer, synchronously; undefined = ask run(). */
  peek?: (req: AuthRequest) => { user: UserInfo; method: string } | undefined
}

export async function createAuthentication(opts: AuthenticationOptions, deps: AuthenticationDeps): Promise<Authentication> {
  const { logger } = deps
  if (opts.authenticationConfig !== '') throw new Error('--authentication-config is not supported by this front-proxy (use --oidc-* flags or oidcIssuers)')
  if (opts.authenticationTokenWebhookConfigFile !== '') throw new Error('--authentication-token-webhook-config-file is not supported by this front-proxy')

  const closers: (() => unknown)[] = []
  const bundles: CABundle[] = []
  const metrics = authMetrics(deps.registry)
  const steps: Step[] = []
  const caOpts = { logger, ...(deps.caPollMs !== undefined ? { pollMs: deps.caPollMs } : {}) }
  const rootClient =
    deps.rootConfig !== undefined
      ? new JSONClient({
          ...(deps.rootConfig.ca !== undefined ? { ca: deps.rootConfig.ca } : {}),
          ...(deps.rootConfig.cert !== undefined ? { cert: deps.rootConfig.cert } : {}),
          ...(deps.rootConfig.key !== undefined ? { key: deps.rootConfig.key } : {}),
          ...(deps.rootConfig.token !== undefined ? { token: deps.rootConfig.token } : {}),
          insecureSkipTLSVerify: deps.rootConfig.insecureSkipTLSVerify,
        })
      : undefined
  if (rootClient !== undefined) closers.push(() => rootClient.close())

  try {
    // 1. requestheader: only with username headers and a CA, like upstream.
    if (opts.requestheaderUsernameHeaders.length > 0 && opts.requestheaderClientCAFile !== '') {
      const b = new CABundle(opts.requestheaderClientCAFile, caOpts)
      bundles.push(b)
      const rh = new RequestHeaderAuthenticator(b, {
        usernameHeaders: opts.requestheaderUsernameHeaders,
        uidHeaders: opts.requestheaderUIDHeaders,
        groupHeaders: opts.requestheaderGroupHeaders,
        extraHeaderPrefixes: opts.requestheaderExtraHeadersPrefix,
        allowedNames: opts.requestheaderAllowedNames,
      })
      steps.push({ ...userStep(rh), certOnly: true })
    }
    // 2. x509
    if (opts.clientCAFile !== '') {
      const b = new CABundle(opts.clientCAFile, caOpts)
      bundles.push(b)
      const x509 = new X509Authenticator(b)
      steps.push({
        ...userStep(x509),
        certOnly: true,
        peek: (req) => {
          const user = x509.peek(req)
          return user === undefined ? undefined : { user, method: x509.name }
        },
      })
    }
    // 3. bearer tokens: token file, service accounts, OIDC (k8s order).
    const tokens: TokenAuthenticator[] = []
    if (opts.tokenAuthFile !== '') tokens.push(new TokenFileAuthenticator(opts.tokenAuthFile, (msg) => logger.warn(msg)))
    if (opts.serviceAccountKeyFiles.length > 0) {
      const issuers = opts.serviceAccountIssuers.length > 0 ? opts.serviceAccountIssuers : [DEFAULT_SA_ISSUER]
      if (opts.serviceAccountLookup && (deps.rootConfig === undefined || rootClient === undefined)) {
        throw new Error('--service-account-lookup needs the root kubeconfig (--root-kubeconfig); or set --service-account-lookup=false')
      }
      tokens.push(
        new ServiceAccountAuthenticator({
          keys: loadSAKeys(opts.serviceAccountKeyFiles),
          issuers,
          audiences: opts.apiAudiences.length > 0 ? opts.apiAudiences : issuers,
          ...(opts.serviceAccountLookup && rootClient !== undefined && deps.rootConfig !== undefined ? { lookup: { client: rootClient, server: deps.rootConfig.server } } : {}),
        }),
      )
    }
    const issuers = [...primaryIssuer(opts), ...opts.oidcIssuers]
    if (issuers.length > 0) {
      const oidc = new OIDCAuthenticator(issuers, logger, deps.oidcTiming)
      closers.push(() => oidc.close())
      oidc.warmUp()
      tokens.push(oidc)
    }
    if (tokens.length > 0) {
      const bearer = new BearerAuthenticator(tokens, new TokenCache({ stats: metrics.tokenCache }))
      steps.push({ name: 'bearer', run: (req) => bearer.authenticate(req), peek: (req) => bearer.peek(req) })
    }
  } catch (err) {
    for (const b of bundles) b.close()
    await Promise.all(closers.map((c) => c()))
    throw err
  }

  return new EdgeAuthentication({
    steps,
    additional: additionalAuthEnabled(opts),
    groupFilter: createGroupFilter(opts.authenticationPassOnGroups, opts.authenticationDropGroups),
    bundles,
    closers,
    metrics,
    logger,
    ...(rootClient !== undefined && deps.rootConfig !== undefined ? { authorizer: new MetricsAuthorizer({ client: rootClient, server: deps.rootConfig.server }) } : {}),
  })
}

function userStep(a: Authenticator): Step {
  return {
    name: a.name,
    run: async (req) => {
      const user = await a.authenticate(req)
      return user === null ? null : { user, method: a.name }
    },
  }
}

const ANONYMOUS: AuthDecision = Object.freeze({ kind: 'anonymous' })

type UnionResult = { user: UserInfo; method: string } | { error: string } | null

interface EdgeParts {
  steps: Step[]
  additional: boolean
  groupFilter: GroupFilter | null
  bundles: CABundle[]
  closers: (() => unknown)[]
  metrics: AuthMetrics
  logger: Logger
  authorizer?: MetricsAuthorizer
}

class EdgeAuthentication implements Authentication {
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
        // Defence in depth: the global filter also applies to workspace users.
        if (u !== null) return { user: this.#p.groupFilter === null ? u : { ...u, groups: this.#p.groupFilter(u.groups) }, method: 'workspace' }
      } catch (err) {
        errors.push(`workspace: ${err instanceof AuthError ? err.message : 'internal error'}`)
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

  authenticateCached(req: AuthRequest): AuthDecision | undefined {
    // Only the common cases: the §5.1 anonymous pass-through, a client certificate chain this
    // connection already proved, or no certificate and a token the cache knows. Steps are asked in
    // union order and the first one that cannot answer synchronously (requestheader never can)
    // sends the request through authenticate(), so the answer is always the one the union would
    // give; so does every failure.
    const hasCert = req.peerCertificates.length > 0
    if (this.#p.steps.length === 0 || (!hasCert && !this.#p.additional)) return ANONYMOUS
    const start = process.hrtime.bigint()
    for (const step of this.#p.steps) {
      // Without a certificate requestheader and x509 answer null.
      if (step.certOnly === true && !hasCert) continue
      const r = step.peek?.(req)
      if (r === undefined) return undefined
      const user = this.#finalize(r.user)
      if (!this.#isSendable(user)) return undefined
      const decision: AuthDecision = { kind: 'user', user, method: r.method }
      this.#p.metrics.decision(decision, Number(process.hrtime.bigint() - start) / 1e9)
      return decision
    }
    return undefined
  }

  async #decide(req: AuthRequest, workspace: Authenticator | undefined): Promise<AuthDecision> {
    // Spec §5.1, the one place it is decided: no authenticator, or no client certificate and no
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
