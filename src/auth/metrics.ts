// Authentication metrics on the server's registry (never prom-client's global one).
import { Counter, Histogram, type Registry } from 'prom-client'

export interface AuthMetrics {
  total: Counter<'method' | 'result'>
  duration: Histogram<'result'>
  /** Counts a decision (and observes its duration when given), via pre-bound children. */
  record(method: string, result: string, seconds?: number): void
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined
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
  // Label lookups hash the label set on every call; bound children skip that on the hot path.
  const counters = new Map<string, { inc(): void }>()
  const histograms = new Map<string, { observe(v: number): void }>()
  const record = (method: string, result: string, seconds?: number): void => {
    const key = `${method}\0${result}`
    let c = counters.get(key)
    if (c === undefined) counters.set(key, (c = total.labels({ method, result })))
    c.inc()
    if (seconds === undefined) return
    let h = histograms.get(result)
    if (h === undefined) histograms.set(result, (h = duration.labels({ result })))
    h.observe(seconds)
  }
  return { total, duration, record }
}
