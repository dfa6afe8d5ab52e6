// Authentication metrics on the server's registry (never prom-client's global one): ours
// (kcp_front_proxy_authentication_*) and the families upstream's /metrics has from the Kubernetes
// libraries, with their exact names, help texts, labels and buckets:
//   authentication_attempts, authentication_duration_seconds, authenticated_user_requests
//     (k8s apiserver/pkg/endpoints/filters/metrics.go), and
//   authentication_token_cache_{request_total,request_duration_seconds,fetch_total,active_fetch_count}
//     (k8s apiserver/pkg/authentication/token/cache/stats.go).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { TokenCacheStats } from './cache.js'
import type { AuthDecision } from './types.js'
import { hotCounter, hotHistogram, type HotCounter, type HotHistogram } from '../hot-metrics.js'

/** The reason of an `unauthorized` decision where no authenticator recognised the request at all. */
export const NO_CREDENTIAL_ACCEPTED = 'no credential accepted'

/** Upstream's result label: success, failure (no authenticator accepted), error (a credential was rejected). */
export type AttemptResult = 'success' | 'failure' | 'error'

export interface AuthMetrics {
  total: Counter<'method' | 'result'>
  duration: Histogram<'result'>
  /** Counts a decision (and observes its duration when given), via pre-bound children. */
  record(method: string, result: string, seconds?: number): void
  /** An authentication that ran (upstream families); `username` on success. */
  attempt(result: AttemptResult, seconds: number, username?: string): void
  /**
   * A request's decision in both sets of families. `anonymous` (no authenticator ran, the request passes
   * on unauthenticated) is no attempt upstream, so it counts only in ours.
   */
  decision(d: AuthDecision, seconds: number): void
  /** The token cache's upstream families. */
  tokenCache: TokenCacheStats
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined
}

/** k8s metrics.ExponentialBuckets(0.001, 2, 15): 1 ms … 16.384 s. */
const ATTEMPT_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i)
/** prometheus.DefBuckets: the token cache histogram sets none. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Upstream's compressUsername: the label keeps only a few well-known identities, `email_id` for names
 * with an `@` and `other` for the rest, bounding cardinality and keeping user names out of metrics.
 */
export function compressUsername(name: string): string {
  if (['admin', 'client', 'kube_proxy', 'kubelet', 'system:serviceaccount:kube-system:default'].includes(name)) return name
  return name.includes('@') ? 'email_id' : 'other'
}

function upstream(registry: Registry): Pick<AuthMetrics, 'attempt' | 'tokenCache'> {
  const attempts = existing<Counter<'result'>>(registry, 'authentication_attempts') ??
    new Counter({ name: 'authentication_attempts', help: '[ALPHA] Counter of authenticated attempts.', labelNames: ['result'], registers: [registry] })
  const latency = existing<Histogram<'result'>>(registry, 'authentication_duration_seconds') ??
    new Histogram({ name: 'authentication_duration_seconds', help: '[ALPHA] Authentication duration in seconds broken out by result.', labelNames: ['result'], buckets: ATTEMPT_BUCKETS, registers: [registry] })
  const users = existing<Counter<'username'>>(registry, 'authenticated_user_requests') ??
    new Counter({ name: 'authenticated_user_requests', help: '[ALPHA] Counter of authenticated requests broken out by username.', labelNames: ['username'], registers: [registry] })
  // The token cache's metrics have no help text upstream; component-base still prefixes the level.
  const cacheRequests = existing<Counter<'status'>>(registry, 'authentication_token_cache_request_total') ??
    new Counter({ name: 'authentication_token_cache_request_total', help: '[ALPHA] ', labelNames: ['status'], registers: [registry] })
  const cacheLatency = existing<Histogram<'status'>>(registry, 'authentication_token_cache_request_duration_seconds') ??
    new Histogram({ name: 'authentication_token_cache_request_duration_seconds', help: '[ALPHA] ', labelNames: ['status'], buckets: DEFAULT_BUCKETS, registers: [registry] })
  const fetches = existing<Counter<'status'>>(registry, 'authentication_token_cache_fetch_total') ??
    new Counter({ name: 'authentication_token_cache_fetch_total', help: '[ALPHA] ', labelNames: ['status'], registers: [registry] })
  const active = existing<Gauge<'status'>>(registry, 'authentication_token_cache_active_fetch_count') ??
    new Gauge({ name: 'authentication_token_cache_active_fetch_count', help: '[ALPHA] ', labelNames: ['status'], registers: [registry] })
  // Every authenticated request passes here: hot series, resolved once per label value.
  const attemptChildren = new Map<string, { count: HotCounter; time: HotHistogram }>()
  const userChildren = new Map<string, HotCounter>()
  const cacheSeries = (status: string): { count: HotCounter; time: HotHistogram } => ({ count: hotCounter(cacheRequests, { status }), time: hotHistogram(cacheLatency, { status }) })
  const cacheHit = cacheSeries('hit')
  const cacheMiss = cacheSeries('miss')
  return {
    attempt(result, seconds, username) {
      let a = attemptChildren.get(result)
      if (a === undefined) attemptChildren.set(result, (a = { count: hotCounter(attempts, { result }), time: hotHistogram(latency, { result }) }))
      a.count.inc()
      a.time.observe(seconds)
      if (result !== 'success' || username === undefined) return
      const label = compressUsername(username)
      let u = userChildren.get(label)
      if (u === undefined) userChildren.set(label, (u = hotCounter(users, { username: label })))
      u.inc()
    },
    tokenCache: {
      request(hit, seconds) {
        const s = hit ? cacheHit : cacheMiss
        s.count.inc()
        // Upstream observes whole milliseconds.
        s.time.observe(Math.floor(seconds * 1000) / 1000)
      },
      blocking() {
        active.inc({ status: 'blocked' })
        return () => active.dec({ status: 'blocked' })
      },
      fetching() {
        active.inc({ status: 'in_flight' })
        return (ok) => {
          fetches.inc({ status: ok ? 'ok' : 'error' })
          active.dec({ status: 'in_flight' })
        }
      },
    },
  }
}

export function authMetrics(registry: Registry): AuthMetrics {
  const total =
    existing<Counter<'method' | 'result'>>(registry, 'kcp_front_proxy_authentication_total') ??
    new Counter({
      name: 'kcp_front_proxy_authentication_total',
      help: 'Authentication decisions at the front-proxy by method (requestheader, x509, token-file, serviceaccount, oidc, workspace, none) and result (success, failure, anonymous).',
      labelNames: ['method', 'result'],
      registers: [registry],
    })
  const duration =
    existing<Histogram<'result'>>(registry, 'kcp_front_proxy_authentication_duration_seconds') ??
    new Histogram({
      name: 'kcp_front_proxy_authentication_duration_seconds',
      help: 'Time spent authenticating a request at the front-proxy.',
      labelNames: ['result'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    })
  // Label lookups hash the label set on every call; hot series skip that on the hot path.
  const counters = new Map<string, HotCounter>()
  const histograms = new Map<string, HotHistogram>()
  const record = (method: string, result: string, seconds?: number): void => {
    const key = `${method}\0${result}`
    let c = counters.get(key)
    if (c === undefined) counters.set(key, (c = hotCounter(total, { method, result })))
    c.inc()
    if (seconds === undefined) return
    let h = histograms.get(result)
    if (h === undefined) histograms.set(result, (h = hotHistogram(duration, { result })))
    h.observe(seconds)
  }
  const up = upstream(registry)
  const decision = (d: AuthDecision, seconds: number): void => {
    if (d.kind === 'user') {
      record(d.method, 'success', seconds)
      up.attempt('success', seconds, d.user.name)
    } else if (d.kind === 'anonymous') record('none', 'anonymous', seconds)
    else {
      record('none', 'failure', seconds)
      up.attempt(d.reason === NO_CREDENTIAL_ACCEPTED ? 'failure' : 'error', seconds)
    }
  }
  return { total, duration, record, decision, ...up }
}
