// What the span exporter did, on the server's registry: spans sent, spans dropped and why. A
// collector that is down shows here (export_failed), never in request latency.
import { Counter, Gauge, type Registry } from 'prom-client'

export type DropReason = 'queue_full' | 'export_failed' | 'shutdown'

export interface TracingMetrics {
  exported(n: number): void
  dropped(reason: DropReason, n: number): void
  queued(n: number): void
}

export function createTracingMetrics(registry: Registry): TracingMetrics {
  const exported = new Counter({ name: 'kcp_front_proxy_tracing_spans_exported_total', help: 'Spans the OTLP collector accepted.', registers: [registry] })
  const dropped = new Counter({
    name: 'kcp_front_proxy_tracing_spans_dropped_total',
    help: 'Spans not exported: queue_full (the bounded queue was full), export_failed (the collector refused or was unreachable), shutdown (ended after the final flush).',
    labelNames: ['reason'],
    registers: [registry],
  })
  const queue = new Gauge({ name: 'kcp_front_proxy_tracing_queue_spans', help: 'Ended spans waiting to be exported.', registers: [registry] })
  // Every reason present from the start, so a dashboard's rate() has a series before the first drop.
  for (const r of ['queue_full', 'export_failed', 'shutdown'] as const) dropped.inc({ reason: r }, 0)
  return {
    exported: (n) => exported.inc(n),
    dropped: (reason, n) => dropped.inc({ reason }, n),
    queued: (n) => queue.set(n),
  }
}
