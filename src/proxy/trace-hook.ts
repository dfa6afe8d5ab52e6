// The one hook the request path offers to tracing (src/tracing implements it). Resolved when the
// server is built: without --tracing-config-file there is no tracer and each step below costs one
// `undefined` check; a request that is not sampled gets no trace and costs the same.
import type { HeaderObject } from '../auth/headers.js'
import type { AuthDecision } from '../auth/types.js'
import type { ProxyError } from '../errors.js'
import type { ProxyRequest } from './exchange.js'
import type { Target } from './router.js'

export interface RequestTracer {
  /** The request's trace when it is sampled (its traceparent, else the sampling rate), else undefined. */
  start(req: ProxyRequest): RequestTrace | undefined
}

/** What a finished request reports to its span; never headers, credentials or the query. */
export interface TracedOutcome {
  /** Path as received, without the query. */
  readonly path: string
  readonly shard: string
  readonly cluster: string
  /** 0 = no answer was sent (the client went away). */
  readonly status: number
}

/** One sampled request. Times are performance.now() values taken before the step ran. */
export interface RequestTrace {
  /** Step 6, the index lookup, ended now. */
  routed(since: number, result: Target | ProxyError): void
  /** Step 7, authentication, ended now; `error` = an authenticator threw. */
  authenticated(since: number, result: AuthDecision['kind'] | 'error'): void
  /** Step 8: the headers for the shard carry our span as their traceparent. */
  inject(headers: HeaderObject): void
  /** The response closed (finished or aborted), or an upgrade was answered without a tunnel. The first call counts. */
  end(o: TracedOutcome, aborted: boolean): void
}
