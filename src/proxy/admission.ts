// Admission: steps 4–8 of the request pipeline (pipeline.ts lists the whole order and why), as
// the ONE function every way into a shard goes through — streamed requests and upgrades alike.
// A second copy of these steps is how an upgrade path once skipped what requests got; there is
// no second copy. The verdict is synchronous whenever no I/O is needed (a proved certificate, a
// cached token, anonymous pass-through), so the common request costs no promise.
import type { Logger } from 'pino'
import { applyIdentityHeaders, type HeaderObject } from '../auth/headers.js'
import type { AuthDecision, AuthRequest, Authenticator, UserInfo } from '../auth/types.js'
import type { RoutingIndexReader } from '../index/types.js'
import { ProxyError, workspaceForbidden } from '../errors.js'
import { isLongRunning, type ProxyRequest } from './exchange.js'
import { forwardRequestHeaders } from './headers.js'
import { cleanPath, pathHygieneError, splitURL } from './paths.js'
import { authRequestOf, peerCertificates } from './peer.js'
import { describeMiss } from './miss.js'
import { route, WorkspaceMiss, type RouteTable, type Target } from './router.js'
import { inClusterServiceAccountPath } from './sa-rewrite.js'
import type { RequestTrace } from './trace-hook.js'

/** A workspace's own authenticator (kcp WorkspaceAuthentication), unioned after the global ones. */
export interface AuthenticateOptions {
  workspaceAuthenticator?: Authenticator
}

/** The part of src/auth admission needs. The optional-authentication rule (docs/upstream.md#optional-authentication) lives behind it, in src/auth only. */
export interface RequestAuthenticator {
  authenticate(req: AuthRequest, opts?: AuthenticateOptions): Promise<AuthDecision>
  /** The decision without a promise when it is already known (anonymous pass-through, a proved certificate chain, a cached token); undefined = authenticate(). */
  authenticateCached?(req: AuthRequest, opts?: AuthenticateOptions): AuthDecision | undefined
}

/** Per-workspace authentication (src/auth/workspace): the authenticator a workspace type brings, if any. */
export interface WorkspaceAuthenticators {
  authenticatorFor(workspaceType: string, logicalCluster: string): Authenticator | undefined
}

/** What admission learns about a request as it goes, for its log line and metrics (the Exchange, or an upgrade's record). */
export interface Ticket {
  readonly method: string
  /** Path as received (no query). */
  path: string
  shard: string
  cluster: string
  /** The authenticated user's name ('' = anonymous or not yet known). */
  user: string
  /** Set when the request is sampled for tracing (trace-hook.ts); steps 6–8 report to it. */
  readonly trace?: RequestTrace | undefined
}

/** A request the proxy will forward: where, and with exactly which headers. */
export interface Admitted {
  readonly target: Target
  /** The client's headers minus hop-by-hop and every inbound identity header, plus the identity we authenticated. */
  readonly headers: HeaderObject
  /** A watch or other stream the apiserver treats as long-running. */
  readonly longRunning: boolean
  /** Who the proxy authenticated (undefined: passed on anonymously); fair queuing's flow (fairness/flows.ts). */
  readonly user: UserInfo | undefined
}

/** Upstream's outer mux redirects an unclean path (`//`, `/./`, `/../`) to its clean form before anything else. */
export class CleanPathRedirect {
  constructor(readonly location: string) {}
}

export type Verdict = Admitted | ProxyError | CleanPathRedirect

export interface AdmissionDeps {
  /** Current route table; read once per request, so a reload never changes a request midway. */
  routes(): RouteTable
  index: RoutingIndexReader
  /** undefined = no authentication configured: every request is anonymous (identity headers still stripped). */
  authenticator: RequestAuthenticator | undefined
  /** With the WorkspaceAuthentication gate: workspace types' own authenticators. */
  workspaceAuthentication?: WorkspaceAuthenticators | undefined
  /** Shards whose watches have not synced yet (controller readiness); only read to explain a 403. */
  notIndexed?: () => readonly string[]
  logger: Logger
}

export type Admit = (req: ProxyRequest, ticket: Ticket) => Verdict | Promise<Verdict>

const UNAUTHORIZED = (): ProxyError => new ProxyError('FP_UNAUTHORIZED')

export function createAdmission(deps: AdmissionDeps): Admit {
  const { index, authenticator, workspaceAuthentication, logger } = deps

  // Step 8: strip every inbound identity header, then stamp the authenticated one (if any).
  function stamp(req: ProxyRequest, ticket: Ticket, target: Target, longRunning: boolean, user: UserInfo | undefined): Admitted {
    const headers = forwardRequestHeaders(req.rawHeaders, req.socket?.remoteAddress)
    applyIdentityHeaders(headers, target.mapping.headers, user)
    ticket.trace?.inject(headers)
    return { target, headers, longRunning, user }
  }

  function decided(req: ProxyRequest, ticket: Ticket, target: Target, longRunning: boolean, d: AuthDecision, since: number): Verdict {
    ticket.trace?.authenticated(since, d.kind)
    if (d.kind === 'unauthorized') return UNAUTHORIZED()
    const user = d.kind === 'user' ? d.user : undefined
    if (user !== undefined) ticket.user = user.name
    return stamp(req, ticket, target, longRunning, user)
  }

  // A workspace that does not resolve: upstream's 403, naming the caller (upstream says `User ""`,
  // having not authenticated yet) and why. Only this rare path pays for the authentication.
  function missed(req: ProxyRequest, ticket: Ticket, miss: WorkspaceMiss): ProxyError | Promise<ProxyError> {
    const why = describeMiss(index.explainMiss(miss.cluster), deps.notIndexed?.() ?? [])
    const answer = (d: AuthDecision | undefined): ProxyError => {
      const user = d?.kind === 'user' ? d.user.name : ''
      ticket.user = user
      return workspaceForbidden(miss.verb, miss.path, user, why)
    }
    if (authenticator === undefined) return answer(undefined)
    const ar = authRequestOf(req, peerCertificates(req))
    const known = authenticator.authenticateCached?.(ar)
    if (known !== undefined) return answer(known)
    return authenticator.authenticate(ar).then(answer, () => answer(undefined))
  }

  return function admit(req, ticket) {
    const { path: rawPath, query } = splitURL(req.url ?? '/')
    ticket.path = rawPath
    // Step 4: path hygiene — we must route on the same path the shard will parse. Unclean paths
    // get upstream's redirect to the clean one; encoded dot-segments and slashes are refused.
    const clean = cleanPath(rawPath)
    if (clean !== rawPath) return new CleanPathRedirect(clean + query)
    const bad = pathHygieneError(rawPath)
    if (bad !== undefined) return new ProxyError('FP_BAD_REQUEST', bad)
    // Step 5: in-cluster service-account rewrite — it changes the path routing reads (docs/upstream.md#service-account-rewrite).
    const h = req.headers
    const path = inClusterServiceAccountPath(rawPath, h.authorization, h['x-kubernetes-sharded-request']) ?? rawPath
    // Step 6: route — before authentication, as upstream: unknown workspaces cost no token review.
    const trace = ticket.trace
    const routing = trace === undefined ? 0 : performance.now()
    const target = route(deps.routes(), index, ticket.method, path, query)
    trace?.routed(routing, target)
    if (target instanceof WorkspaceMiss) return missed(req, ticket, target)
    if (target instanceof ProxyError) return target
    ticket.shard = target.shard
    ticket.cluster = target.cluster
    const longRunning = isLongRunning(path, query)
    // Step 7: authentication — 401 for a bad credential; what passes anonymously is src/auth's
    // decision. A workspace whose type brings its own authenticators (kcp WorkspaceAuthentication,
    // upstream's WithWorkspaceAuthResolver) adds them to the union and forces authentication.
    if (authenticator === undefined) return stamp(req, ticket, target, longRunning, undefined)
    const authenticating = trace === undefined ? 0 : performance.now()
    const ar = authRequestOf(req, peerCertificates(req))
    const wa = workspaceAuthentication !== undefined && target.type !== '' ? workspaceAuthentication.authenticatorFor(target.type, target.cluster) : undefined
    const opts = wa === undefined ? undefined : { workspaceAuthenticator: wa }
    const known = authenticator.authenticateCached?.(ar, opts)
    if (known !== undefined) return decided(req, ticket, target, longRunning, known, authenticating)
    return authenticator.authenticate(ar, opts).then(
      (d) => decided(req, ticket, target, longRunning, d, authenticating),
      (e: unknown) => {
        trace?.authenticated(authenticating, 'error')
        logger.warn({ err: e }, 'Unable to authenticate the request')
        return UNAUTHORIZED()
      },
    )
  }
}
