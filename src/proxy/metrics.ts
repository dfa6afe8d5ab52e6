// Proxy metrics (docs/upstream.md#metrics-endpoint names, labels and buckets) on the registry the server passes in.
// Hot series (src/hot-metrics.ts) are cached per label value, so the hot path does one Map lookup
// and no label hashing.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { hotCounter, hotHistogram, type HotCounter, type HotHistogram } from '../hot-metrics.js'
import type { FlowControlStats, RejectReason } from './fairness/stats.js'

/** Seconds in a shard's queue (kube-apiserver's apiserver_flowcontrol_request_wait_duration_seconds buckets up to 30 s). */
export const WAIT_BUCKETS = [0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30]

export const DURATION_BUCKETS = [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60]

// promhttp: known verbs lowercased, everything else `unknown`.
const METHOD_LABEL: Record<string, string> = {
  GET: 'get', PUT: 'put', POST: 'post', DELETE: 'delete', PATCH: 'patch', HEAD: 'head', OPTIONS: 'options', CONNECT: 'connect', TRACE: 'trace',
}

export interface ProxyMetrics {
  observeRequest(method: string, code: number, seconds: number): void
  requestBytes(shard: string, n: number): void
  responseBytes(shard: string, n: number): void
  tlsError(shard: string, type: string): void
  upstreamError(shard: string, kind: string): void
  readonly activeWatches: Gauge
  readonly activeTunnels: Gauge
  /** A shard's flow-control counters (fair queuing at its gate), one object per shard label; labelled by shard, never by user. */
  readonly flowControl: (shard: string) => FlowControlStats
}

export function createProxyMetrics(registry: Registry): ProxyMetrics {
  const duration = new Histogram({
    name: 'proxy_request_duration_seconds',
    help: '[ALPHA] Response latency distribution in seconds for each verb and response code.',
    labelNames: ['method', 'code'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  })
  const tls = new Counter({
    name: 'kcp_listener_tls_connection_error',
    help: '[ALPHA] Number of TLS connection errors to backends, by shard and error type.',
    labelNames: ['shard', 'error_type'],
    registers: [registry],
  })
  const rq = new Counter({ name: 'kcp_backend_rq_body_bytes', help: '[ALPHA] Request body bytes sent to a shard.', labelNames: ['shard'], registers: [registry] })
  const rs = new Counter({ name: 'kcp_backend_rs_body_bytes', help: '[ALPHA] Response body bytes written to clients for a shard.', labelNames: ['shard'], registers: [registry] })
  const upstream = new Counter({
    name: 'kcp_front_proxy_upstream_errors_total',
    help: 'Backend request failures, by shard and kind (connect, tls, reset, other).',
    labelNames: ['shard', 'kind'],
    registers: [registry],
  })
  const activeWatches = new Gauge({ name: 'kcp_front_proxy_active_watches', help: 'Watch requests currently streaming through this proxy.', registers: [registry] })
  const activeTunnels = new Gauge({ name: 'kcp_front_proxy_active_tunnels', help: 'Upgraded connections (exec, attach, port-forward) currently tunnelled.', registers: [registry] })

  const flowControl = createFlowControlMetrics(registry)

  const durationChildren = new Map<string, HotHistogram>()
  const rqChildren = new Map<string, HotCounter>()
  const rsChildren = new Map<string, HotCounter>()

  return {
    observeRequest(method, code, seconds) {
      const m = METHOD_LABEL[method] ?? 'unknown'
      const key = m + code
      let h = durationChildren.get(key)
      if (h === undefined) durationChildren.set(key, (h = hotHistogram(duration, { method: m, code: String(code) })))
      h.observe(seconds)
    },
    requestBytes(shard, n) {
      let c = rqChildren.get(shard)
      if (c === undefined) rqChildren.set(shard, (c = hotCounter(rq, { shard })))
      c.inc(n)
    },
    responseBytes(shard, n) {
      let c = rsChildren.get(shard)
      if (c === undefined) rsChildren.set(shard, (c = hotCounter(rs, { shard })))
      c.inc(n)
    },
    tlsError(shard, type) {
      tls.labels(shard || 'unknown', type).inc()
    },
    upstreamError(shard, kind) {
      upstream.labels(shard || 'unknown', kind).inc()
    },
    activeWatches,
    activeTunnels,
    flowControl,
  }
}

/** The flow-control metrics: gauges read from each shard's counters when scraped, a wait histogram, rejections. */
function createFlowControlMetrics(registry: Registry): (shard: string) => FlowControlStats {
  const byShard = new Map<string, FlowControlStats>()
  new Gauge({
    name: 'kcp_front_proxy_flowcontrol_current_executing_requests',
    help: 'Short requests at a shard now, by class: fair (through its gate, shard health checks included) or exempt (system:masters).',
    labelNames: ['shard', 'class'],
    registers: [registry],
    collect() {
      for (const [shard, s] of byShard) {
        this.set({ shard, class: 'fair' }, s.executing)
        this.set({ shard, class: 'exempt' }, s.exempt)
      }
    },
  })
  new Gauge({
    name: 'kcp_front_proxy_flowcontrol_current_inqueue_requests',
    help: 'Short requests waiting in a shard\'s queue now.',
    labelNames: ['shard'],
    registers: [registry],
    collect() {
      for (const [shard, s] of byShard) this.set({ shard }, s.queued)
    },
  })
  const wait = new Histogram({
    name: 'kcp_front_proxy_flowcontrol_request_wait_duration_seconds',
    help: 'Time short requests waited at a shard\'s gate, and whether they were then executed.',
    labelNames: ['shard', 'execute'],
    buckets: WAIT_BUCKETS,
    registers: [registry],
  })
  const rejected = new Counter({
    name: 'kcp_front_proxy_flowcontrol_rejected_requests_total',
    help: 'Short requests a shard\'s gate did not execute, by reason (queue-full, flow-queue-full, time-out, cancelled, closing).',
    labelNames: ['shard', 'reason'],
    registers: [registry],
  })
  return (name) => {
    const shard = name || 'unknown'
    let s = byShard.get(shard)
    if (s !== undefined) return s
    const executed = hotHistogram(wait, { shard, execute: 'true' })
    const dropped = hotHistogram(wait, { shard, execute: 'false' })
    // Resolved once per reason: a client flooding past its share makes this as hot as any request.
    const byReason = new Map<RejectReason, HotCounter>()
    s = {
      executing: 0,
      exempt: 0,
      queued: 0,
      waited: (seconds, execute) => (execute ? executed : dropped).observe(seconds),
      rejected: (reason: RejectReason) => {
        let c = byReason.get(reason)
        if (c === undefined) byReason.set(reason, (c = hotCounter(rejected, { shard, reason })))
        c.inc()
      },
    }
    byShard.set(shard, s)
    return s
  }
}
