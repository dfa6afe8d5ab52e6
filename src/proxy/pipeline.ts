// The request pipeline. Its order is written here, once, with the reason beside each step
// (upstream: pkg/proxy/server.go NewServer). /livez, /readyz and /metrics never reach this: the
// server answers them before the pipeline, as upstream's outer mux does.
//
//  1. CORS                   outermost, so even error answers carry CORS headers and preflights never touch a shard.
//  2. panic recovery         a throw anywhere below becomes a 500 Status, never a crashed process.
//  3. metrics + logging      registered before any answer so 400/401/403/404/429/503s are counted and logged too.
//  4–8. admission            path hygiene (upstream's 307 for unclean paths, 400 for encoded tricks), in-cluster
//                            SA rewrite, route, authenticate, identity headers: admission.ts, the one copy
//                            shared with upgrades (upgrade.ts).
//  9. settle (HTTP/2)        wait one turn of the event loop: a stream the client reset in the same read
//                            (HEADERS + RST_STREAM, CVE-2023-44487) is gone before it costs a connection;
//                            and at most PER_TURN requests go on per turn, the rest in later turns, so a
//                            busy proxy keeps accepting new connections, one per turn (turns.ts).
// 10. body                   read small bodies before taking a shard connection (body.ts): a slow client
//                            holds its own socket, not the shard's; every body has a deadline.
// 11. shard gate             at most --backend-max-connections short requests in flight per shard, a bounded
//                            queue behind them, 429 + Retry-After beyond (shard-gate.ts); an HTTP/2 session that
//                            keeps resetting its requests may not make us open shard connections (resets.ts).
//                            With fair queuing the queue is shared fairly between flows (users), each flow's
//                            bounded, so one tenant cannot fill it (shard health checks are one flow); system:masters skips
//                            it (fairness/flows.ts), here and not earlier, because only short requests queue.
// 12. forward                stream to the backend with the mapping's client certificate (forward.ts).
// Tracing (optional, trace-hook.ts): a sampled request's span starts once step 1 let it pass and ends
// with step 3's accounting; steps 6–8 report to it from admission.
import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { ProxyError } from '../errors.js'
import type { RoutingIndexReader } from '../index/types.js'
import { createAccounting, type RequestLogRecord } from './accounting.js'
import { CleanPathRedirect, createAdmission, type Admit, type Admitted, type RequestAuthenticator, type Verdict } from './admission.js'
import type { Backend, BackendPools } from './backends.js'
import { EXEMPT, flowOf, type FlowKey } from './fairness/flows.js'
import { BodyReader, hasBody, type Body } from './body.js'
import type { CorsCheck } from './cors.js'
import { attachExchange, closedUnended, exchangeOf, newExchange, type Exchange, type ProxyRequest, type ProxyResponse } from './exchange.js'
import { forward, type Route } from './forward.js'
import type { ProxyMetrics } from './metrics.js'
import { noteReset } from './resets.js'
import { writeError, writeRedirect } from './respond.js'
import type { RouteTable } from './router.js'
import type { ShardGate } from './shard-gate.js'
import type { RequestTracer } from './trace-hook.js'
import { TurnQueue } from './turns.js'

export type { RequestAuthenticator } from './admission.js'


export interface PipelineDeps {
  /** Current route table; read once per request, so a reload never changes a request midway. */
  routes(): RouteTable
  index: RoutingIndexReader
  /** undefined = no authentication configured: every request is anonymous (headers still stripped). */
  authenticator: RequestAuthenticator | undefined
  pools: BackendPools
  metrics: ProxyMetrics
  logger: Logger
  /** Writes the one line per request (step 3); default: logger.info(record, 'request'). */
  logRequest?: (r: RequestLogRecord) => void
  cors: CorsCheck | undefined
  /** Step 10's limits; default DEFAULT_BODY_LIMITS. */
  body?: BodyReader
  /** Steps 4–8, when the caller shares one admission with the upgrade handler. Default: built from the deps above. */
  admit?: Admit
  /** Requests in flight, for graceful shutdown. */
  inflight: RequestTracker
  /** Step 11's fair queuing (--enable-fair-queuing); undefined = off: one FIFO per shard, nobody exempt. */
  fairness?: { readonly flowKey: FlowKey } | undefined
  /** --tracing-config-file: starts a span for each sampled request; undefined = tracing off. */
  tracer?: RequestTracer | undefined
}

/**
 * Where the pipeline reports the requests it holds; the server's shutdown module owns it
 * (src/server/shutdown.ts) and drains them.
 */
export interface RequestTracker {
  add(ex: Exchange): void
  delete(ex: Exchange): void
  /** When true, HTTP/1.1 responses carry `Connection: close` so clients reconnect elsewhere. */
  readonly draining: boolean
}

/** An admitted HTTP/2 request waiting for step 9. */
interface Settling {
  readonly ex: Exchange
  readonly v: Admitted
  readonly backend: Backend
}

const sameRoute = (r: Route): Route => r

export interface Pipeline {
  handle(req: ProxyRequest, res: ProxyResponse): void
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { pools, metrics, logger, cors, inflight, fairness, tracer } = deps
  const admit = deps.admit ?? createAdmission(deps)
  const account = createAccounting(metrics, logger, deps.logRequest)
  const bodies = deps.body ?? new BodyReader()

  // Step 3: accounting when the response closes (finished or aborted). Module-style function, no per-request closure.
  function onClose(this: ProxyResponse): void {
    const ex = exchangeOf(this)
    if (ex === undefined || ex.done) return
    ex.done = true
    inflight.delete(ex)
    // Judged wrong, a reset watch would stay open upstream (exchange.ts).
    const aborted = closedUnended(this)
    if (aborted) {
      ex.upstream?.cancel(true)
      // Step 11 judges HTTP/2 sessions by how often they reset their own requests.
      if (ex.session !== undefined) noteReset(ex.session)
    }
    if (ex.longRunning) metrics.activeWatches.dec()
    account(ex, aborted)
    if (ex.trace !== undefined) ex.trace.end(ex, aborted)
  }

  function fail(ex: Exchange, e: unknown): void {
    // Step 2's catch: log the cause, answer a Status; the process keeps serving.
    logger.error({ err: e, method: ex.method, path: ex.path }, 'request handler failed')
    ex.error = e instanceof Error ? e.message : String(e)
    writeError(ex, e instanceof ProxyError ? e : new ProxyError('FP_INTERNAL', 'This request caused the front-proxy to fail. Look in the logs for details.'))
  }

  function admitted(ex: Exchange, v: Verdict): void {
    if (ex.done) return
    if (v instanceof ProxyError) {
      writeError(ex, v)
      return
    }
    if (v instanceof CleanPathRedirect) {
      writeRedirect(ex, v.location)
      return
    }
    if (v.longRunning) {
      ex.longRunning = true
      metrics.activeWatches.inc()
    }
    const { target } = v
    const backend = pools.get(target.mapping.fingerprint, target.mapping.tls, target.origin, v.longRunning, target.shard)
    // Step 9.
    if (ex.req.httpVersionMajor === 2) settling.push({ ex, v, backend })
    else readBody(ex, v, backend)
  }

  function settled({ ex, v, backend }: Settling): boolean {
    if (ex.done) return false
    try {
      readBody(ex, v, backend)
    } catch (e) {
      fail(ex, e)
    }
    return true
  }
  const settling = new TurnQueue<Settling>(settled)

  // Step 10.
  function readBody(ex: Exchange, v: Admitted, backend: Backend): void {
    // Most requests (GET, watch) have none: no callbacks to allocate.
    if (!hasBody(ex)) return enter(ex, v, backend, null)
    bodies.read(
      ex,
      (body) => enter(ex, v, backend, body),
      (err) => {
        // The deadline passed: nothing was sent yet, or the streamed rest stopped coming. The 408
        // goes out first, so the cancelled upstream request has no answer left to turn into a 502.
        ex.error = err.message
        writeError(ex, err)
        ex.upstream?.cancel(false)
      },
    )
  }

  // Step 11.
  function enter(ex: Exchange, v: Admitted, backend: Backend, body: Body): void {
    if (ex.done) return
    if (backend.kind === 'pool') {
      forward(ex, backend.route, v.target.path, v.headers, body, metrics)
      return
    }
    const { target } = v
    // Fair queuing off: one flow, and the gate's queue is the FIFO it always was.
    const flow = fairness === undefined ? '' : flowOf(v.user, target.cluster, target.path, fairness.flowKey)
    const limit = fairness === undefined ? undefined : target.mapping.flowQueueLength
    if (flow === EXEMPT) exempt(ex, v, body)
    else if (backend.kind === 'limited') queue(ex, v, body, backend.gate, sameRoute, flow, limit)
    else queue(ex, v, body, backend.gate, backend.route, flow, limit)
  }

  function queue<C>(ex: Exchange, v: Admitted, body: Body, gate: ShardGate<C>, route: (c: C) => Route, flow: string, flowLimit: number | undefined): void {
    const w = gate.enter(
      (c) => forward(ex, route(c), v.target.path, v.headers, body, metrics),
      (err) => writeError(ex, err),
      ex.session,
      flow,
      flowLimit,
    )
    if (w instanceof ProxyError) writeError(ex, w)
    else if (w !== undefined) ex.res.once('close', () => gate.cancel(w))
  }

  // Exempt: never queued, on the shard's unlimited connections (those of watches), still counted.
  function exempt(ex: Exchange, v: Admitted, body: Body): void {
    const { mapping, origin, shard } = v.target
    const { route } = pools.unlimited(mapping.fingerprint, mapping.tls, origin, shard)
    const stats = metrics.flowControl(shard)
    stats.exempt++
    forward(ex, { ...route, owner: { release: () => stats.exempt-- } }, v.target.path, v.headers, body, metrics)
  }

  function handle(req: ProxyRequest, res: ProxyResponse): void {
    // Step 1: CORS.
    if (cors !== undefined && cors(req, res)) return
    const ex = newExchange(req, res)
    if (tracer !== undefined) ex.trace = tracer.start(req)
    // Step 3: accounting hooks.
    attachExchange(ex)
    inflight.add(ex)
    res.once('close', onClose)
    if (inflight.draining && req.httpVersionMajor === 1) (res as ServerResponse).setHeader('connection', 'close')
    // Step 2: recovery.
    try {
      // Steps 4–8.
      const v = admit(req, ex)
      if (v instanceof Promise) {
        v.then(
          (r) => {
            try {
              admitted(ex, r)
            } catch (e) {
              fail(ex, e)
            }
          },
          (e: unknown) => fail(ex, e),
        )
      } else admitted(ex, v)
    } catch (e) {
      fail(ex, e)
    }
  }

  return { handle }
}
