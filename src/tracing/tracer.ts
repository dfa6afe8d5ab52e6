// The request tracer (src/proxy/trace-hook.ts) on OpenTelemetry spans: the sampling decision comes
// first (traceparent.ts) so a request that is not sampled allocates nothing; a sampled one gets a
// server span, a child span for the index lookup and one for authentication, and our span's
// traceparent on its way to the shard. Attributes are chosen so none can hold a credential: no
// header, no query, no user name, no authentication failure reason.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Context, type Span, type Tracer } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import type { HeaderObject } from '../auth/headers.js'
import { ProxyError } from '../errors.js'
import type { ProxyRequest } from '../proxy/exchange.js'
import type { RequestTrace, RequestTracer, TracedOutcome } from '../proxy/trace-hook.js'
import type { Target } from '../proxy/router.js'
import { formatTraceparent, parseTraceparent, shouldSample, workspacePathOf, type TraceParent } from './traceparent.js'

/** Attribute names: OpenTelemetry's HTTP semantic conventions, and ours for kcp. */
export const ATTR = {
  method: 'http.request.method',
  status: 'http.response.status_code',
  route: 'http.route',
  path: 'url.path',
  scheme: 'url.scheme',
  protocol: 'network.protocol.version',
  errorType: 'error.type',
  workspace: 'kcp.workspace.path',
  shard: 'kcp.shard',
  cluster: 'kcp.logical_cluster',
  lookup: 'kcp.index.result',
  authentication: 'kcp.authentication.result',
  aborted: 'kcp.request.aborted',
} as const

export interface RequestTracerOptions {
  tracer: Tracer
  /** From TracingConfiguration.samplingRatePerMillion. */
  samplingRatePerMillion: number
  /** In [0, 1); default Math.random (tests pass their own). */
  random?: () => number
}

export function createRequestTracer(o: RequestTracerOptions): RequestTracer {
  const random = o.random ?? Math.random
  const rate = o.samplingRatePerMillion
  return {
    start(req) {
      const parent = parseTraceparent(req.headers.traceparent)
      if (!shouldSample(parent, rate, random)) return undefined
      return new Trace(o.tracer, req, parent)
    },
  }
}

function parentContext(req: ProxyRequest, p: TraceParent | undefined): Context {
  if (p === undefined) return ROOT_CONTEXT
  const ts = req.headers.tracestate
  const traceState = typeof ts === 'string' && ts !== '' ? new TraceState(ts) : undefined
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: p.traceId, spanId: p.spanId, traceFlags: p.flags & TraceFlags.SAMPLED, isRemote: true, ...(traceState ? { traceState } : {}) })
}

class Trace implements RequestTrace {
  readonly #tracer: Tracer
  readonly #span: Span
  readonly #method: string
  /** The client's traceparent was valid, so its tracestate belongs to this trace and travels on. */
  readonly #hasParent: boolean
  #ctx: Context | undefined
  #ended = false

  constructor(tracer: Tracer, req: ProxyRequest, parent: TraceParent | undefined) {
    this.#tracer = tracer
    this.#method = req.method ?? 'GET'
    this.#hasParent = parent !== undefined
    this.#span = tracer.startSpan(this.#method, {
      kind: SpanKind.SERVER,
      attributes: { [ATTR.method]: this.#method, [ATTR.scheme]: 'https', [ATTR.protocol]: req.httpVersionMajor === 2 ? '2' : req.httpVersion },
    }, parentContext(req, parent))
  }

  #child(name: string, since: number, attributes: Record<string, string>): void {
    this.#ctx ??= trace.setSpan(ROOT_CONTEXT, this.#span)
    this.#tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: since, attributes }, this.#ctx).end(performance.now())
  }

  routed(since: number, result: Target | ProxyError): void {
    if (result instanceof ProxyError) {
      this.#child('index lookup', since, { [ATTR.lookup]: 'refused', [ATTR.errorType]: result.code })
      return
    }
    const route = result.mapping.path
    this.#span.updateName(`${this.#method} ${route}`)
    this.#span.setAttribute(ATTR.route, route)
    this.#child('index lookup', since, { [ATTR.lookup]: result.shard === '' ? 'no shard' : 'found', [ATTR.shard]: result.shard, [ATTR.cluster]: result.cluster })
  }

  authenticated(since: number, result: string): void {
    this.#child('authenticate', since, { [ATTR.authentication]: result })
  }

  inject(headers: HeaderObject): void {
    const sc = this.#span.spanContext()
    headers.traceparent = formatTraceparent(sc.traceId, sc.spanId, true)
    // A tracestate without a valid traceparent belongs to no trace (W3C): it does not travel on.
    if (!this.#hasParent) delete headers.tracestate
  }

  end(o: TracedOutcome, aborted: boolean): void {
    if (this.#ended) return
    this.#ended = true
    const s = this.#span
    s.setAttribute(ATTR.path, o.path)
    const ws = workspacePathOf(o.path)
    if (ws !== '') s.setAttribute(ATTR.workspace, ws)
    if (o.shard !== '') s.setAttribute(ATTR.shard, o.shard)
    if (o.cluster !== '') s.setAttribute(ATTR.cluster, o.cluster)
    if (o.status > 0) s.setAttribute(ATTR.status, o.status)
    if (aborted) s.setAttribute(ATTR.aborted, true)
    // Server spans: 5xx is an error, 4xx is the client's (OpenTelemetry HTTP conventions).
    if (o.status >= 500) s.setStatus({ code: SpanStatusCode.ERROR })
    s.end()
  }
}
