// The request pipeline. Its order is written here, once, with the reason beside each step
// (upstream: pkg/proxy/server.go NewServer, spec §0). /livez, /readyz and /metrics never
// reach this: the server answers them before the pipeline, as upstream's outer mux does.
//
//  1. CORS                   outermost, so even error answers carry CORS headers and preflights never touch a shard.
//  2. panic recovery         a throw anywhere below becomes a 500 Status, never a crashed process.
//  3. metrics + logging      registered before any answer so 400/403/404/503s are counted and logged too.
//  4. path hygiene           before routing: we must route on the same path the shard will parse (400 otherwise).
//  5. in-cluster SA rewrite  before routing: it changes the path routing reads (§5.6).
//  6. route                  workspace lookup BEFORE authentication, as upstream: unknown workspaces get the
//                            anonymous 403 without spending a token review.
//  7. authentication         401 for bad credentials; no credentials → anonymous, the shard decides.
//  8. identity headers       ALWAYS strip inbound X-Remote-*; stamp only what we authenticated.
//  9. forward                stream to the backend with the mapping's client certificate.
import type { Logger } from 'pino'
import type { AuthDecision, AuthRequest } from '../auth/types.js'
import { applyIdentityHeaders } from '../auth/headers.js'
import type { RoutingIndex } from '../index/types.js'
import { ProxyError } from '../errors.js'
import type { BackendPools } from './backends.js'
import type { CorsCheck } from './cors.js'
import { attachExchange, exchangeOf, isLongRunning, newExchange, type Exchange, type ProxyRequest, type ProxyResponse } from './exchange.js'
import { forward } from './forward.js'
import { forwardRequestHeaders } from './headers.js'
import type { ProxyMetrics } from './metrics.js'
import { pathHygieneError, splitURL } from './paths.js'
import { authRequestOf, peerCertificates } from './peer.js'
import { writeError } from './respond.js'
import { route, type RouteTable, type Target } from './router.js'
import { inClusterServiceAccountPath } from './sa-rewrite.js'

/** The one line the pipeline writes per request. No field can hold a credential: paths carry no query. */
export interface RequestLogRecord {
  method: string
  path: string
  shard: string
  cluster: string
  status: number
  bytes: number
  ms: number
  user: string
  aborted: boolean | undefined
  err: string | undefined
}

/** The part of src/auth the pipeline needs. */
export interface RequestAuthenticator {
  authenticate(req: AuthRequest): Promise<AuthDecision>
  /** The decision without a promise when it is already known (a proved certificate chain, a cached token); undefined = authenticate(). */
  authenticateCached?(req: AuthRequest): AuthDecision | undefined
}

export interface PipelineDeps {
  /** Current route table; read once per request, so a reload never changes a request midway. */
  routes(): RouteTable
  index: RoutingIndex
  /** undefined = no authentication configured: every request is anonymous (headers still stripped). */
  authenticator: RequestAuthenticator | undefined
  /**
   * Upstream AdditionalAuthEnabled (token file, service accounts, OIDC): when false, a request
   * without a client certificate is anonymous without asking the authenticator (spec §5.1),
   * which keeps the common token-to-shard path free of a promise per request.
   */
  additionalAuth: boolean
  pools: BackendPools
  metrics: ProxyMetrics
  logger: Logger
  /** Writes the one line per request (step 3); default: logger.info(record, 'request'). */
  logRequest?: (r: RequestLogRecord) => void
  cors: CorsCheck | undefined
}

/** In-flight requests, for graceful shutdown. */
export class InFlight {
  readonly all = new Set<Exchange>()
  #idle: (() => void)[] = []
  /** When true, HTTP/1.1 responses carry `Connection: close` so clients reconnect elsewhere. */
  draining = false

  add(ex: Exchange): void {
    this.all.add(ex)
  }

  delete(ex: Exchange): void {
    this.all.delete(ex)
    if (this.all.size === 0 && this.#idle.length > 0) for (const f of this.#idle.splice(0)) f()
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    if (this.all.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Ends every long-running stream cleanly (a watch sees a normal end and re-watches elsewhere). */
  endLongRunning(): void {
    for (const ex of this.all) {
      if (!ex.longRunning) continue
      // End first, then cancel upstream: the abort must not turn the clean end into an error.
      // A watch still waiting for the shard's headers gets a retryable 503 instead.
      if (ex.res.headersSent) ex.res.end()
      else writeError(ex, new ProxyError('FP_SHUTTING_DOWN'))
      ex.abort?.()
    }
  }
}

export interface Pipeline {
  handle(req: ProxyRequest, res: ProxyResponse): void
  readonly inflight: InFlight
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { index, authenticator, additionalAuth, pools, metrics, logger, cors } = deps
  const inflight = new InFlight()
  const logRequest = deps.logRequest ?? ((r: RequestLogRecord): void => logger.info(r, 'request'))

  // Step 3: accounting when the response closes (finished or aborted). Module-style function, no per-request closure.
  function onClose(this: ProxyResponse): void {
    const ex = exchangeOf(this)
    if (ex === undefined || ex.done) return
    ex.done = true
    inflight.delete(ex)
    // writableEnded, not writableFinished: after an HTTP/2 stream reset Node 20 reports the
    // response as finished although we never ended it, which would leave the watch open upstream.
    const aborted = !this.writableEnded
    if (aborted) ex.abort?.()
    if (ex.longRunning) metrics.activeWatches.dec()
    const seconds = Number(process.hrtime.bigint() - ex.start) / 1e9
    const code = ex.status === 0 ? 499 : ex.status
    metrics.observeRequest(ex.method, code, seconds)
    if (ex.shard !== '') {
      if (ex.bytesIn > 0) metrics.requestBytes(ex.shard, ex.bytesIn)
      metrics.responseBytes(ex.shard, ex.bytesOut)
    }
    logRequest({
      method: ex.method, path: ex.path, shard: ex.shard, cluster: ex.cluster, status: code, bytes: ex.bytesOut,
      ms: Math.round(seconds * 1e6) / 1e3, user: ex.user, aborted: aborted || undefined, err: ex.error,
    })
  }

  function send(ex: Exchange, target: Target): void {
    // Step 8: strip every inbound identity header, then stamp the authenticated one (if any).
    const headers = forwardRequestHeaders(ex.req.headers, ex.req.socket?.remoteAddress)
    applyIdentityHeaders(headers, target.mapping.headers, undefined)
    forward(ex, pools.get(target.mapping.fingerprint, target.mapping.tls, target.origin, ex.longRunning), target.path, headers, metrics)
  }

  function sendAs(ex: Exchange, target: Target, decision: AuthDecision): void {
    if (ex.done) return
    if (decision.kind === 'unauthorized') {
      writeError(ex, new ProxyError('FP_UNAUTHORIZED'))
      return
    }
    const headers = forwardRequestHeaders(ex.req.headers, ex.req.socket?.remoteAddress)
    const user = decision.kind === 'user' ? decision.user : undefined
    if (user !== undefined) ex.user = user.name
    applyIdentityHeaders(headers, target.mapping.headers, user)
    forward(ex, pools.get(target.mapping.fingerprint, target.mapping.tls, target.origin, ex.longRunning), target.path, headers, metrics)
  }

  function fail(ex: Exchange, e: unknown): void {
    // Step 2's catch: log the cause, answer a Status; the process keeps serving.
    logger.error({ err: e, method: ex.method, path: ex.path }, 'request handler failed')
    ex.error = e instanceof Error ? e.message : String(e)
    writeError(ex, e instanceof ProxyError ? e : new ProxyError('FP_INTERNAL', 'This request caused the front-proxy to fail. Look in the logs for details.'))
  }

  function handle(req: ProxyRequest, res: ProxyResponse): void {
    // Step 1: CORS.
    if (cors !== undefined && cors(req, res)) return
    const ex = newExchange(req, res)
    // Step 3: accounting hooks.
    attachExchange(ex)
    inflight.add(ex)
    res.once('close', onClose)
    if (inflight.draining && req.httpVersionMajor === 1) res.setHeader('connection', 'close')
    // Step 2: recovery.
    try {
      const { path: rawPath, query } = splitURL(req.url ?? '/')
      ex.path = rawPath
      // Step 4: path hygiene.
      const bad = pathHygieneError(rawPath)
      if (bad !== undefined) {
        writeError(ex, new ProxyError('FP_BAD_REQUEST', bad))
        return
      }
      // Step 5: in-cluster service-account rewrite.
      const h = req.headers
      const path = inClusterServiceAccountPath(rawPath, h.authorization, h['x-kubernetes-sharded-request']) ?? rawPath
      // Step 6: route.
      const target = route(deps.routes(), index, ex.method, path, query)
      if (target instanceof ProxyError) {
        writeError(ex, target)
        return
      }
      ex.shard = target.shard
      ex.cluster = target.cluster
      if (isLongRunning(path, query)) {
        ex.longRunning = true
        metrics.activeWatches.inc()
      }
      // Step 7: authentication (spec §5.1: without a client certificate and without an
      // "additional" method the request passes on anonymously; the shard checks its token).
      const certs = authenticator === undefined ? undefined : peerCertificates(req)
      if (authenticator === undefined || certs === undefined || (!additionalAuth && certs.length === 0)) {
        send(ex, target)
        return
      }
      const ar = authRequestOf(req, certs)
      // A certificate chain this connection already proved, or a token verified in the last 10 s:
      // no promise, no extra turn of the event loop.
      const known = authenticator.authenticateCached?.(ar)
      if (known !== undefined) {
        sendAs(ex, target, known)
        return
      }
      authenticator.authenticate(ar).then(
        (d) => {
          try {
            sendAs(ex, target, d)
          } catch (e) {
            fail(ex, e)
          }
        },
        (e: unknown) => {
          logger.warn({ err: e }, 'Unable to authenticate the request')
          if (!ex.done) writeError(ex, new ProxyError('FP_UNAUTHORIZED'))
        },
      )
    } catch (e) {
      fail(ex, e)
    }
  }

  return { handle, inflight }
}
