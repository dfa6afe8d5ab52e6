import t from 'tap'
import { Registry } from 'prom-client'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace'
import { createTracingMetrics } from '../../src/tracing/metrics.js'
import { BoundedBatchProcessor, type BatchLimits } from '../../src/tracing/processor.js'
import { eventually } from '../fixtures/eventually.js'

/** An exporter whose answers the test controls: each export waits in `pending` until answered (or answers at once). */
class FakeExporter implements SpanExporter {
  readonly batches: number[] = []
  readonly pending: ((r: ExportResult) => void)[] = []
  answer: 'ok' | 'fail' | 'hold' = 'ok'
  shutdowns = 0
  export(spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    this.batches.push(spans.length)
    if (this.answer === 'hold') this.pending.push(cb)
    else cb({ code: this.answer === 'ok' ? ExportResultCode.SUCCESS : ExportResultCode.FAILED })
  }
  async shutdown(): Promise<void> {
    this.shutdowns++
  }
}

const span = {} as ReadableSpan
const LIMITS: BatchLimits = { maxQueueSize: 10, maxBatchSize: 4, delayMs: 60_000, exportTimeoutMs: 60_000 }

async function counts(r: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const m of await r.getMetricsAsJSON()) for (const v of m.values) out[m.name + (v.labels.reason !== undefined ? `{${String(v.labels.reason)}}` : '')] = v.value
  return out
}

function setup(limits: Partial<BatchLimits> = {}) {
  const registry = new Registry()
  const exporter = new FakeExporter()
  const failures: (Error | undefined)[] = []
  const p = new BoundedBatchProcessor(exporter, createTracingMetrics(registry), { ...LIMITS, ...limits }, (e) => failures.push(e))
  return { registry, exporter, p, failures }
}

t.test('a full batch leaves at once; one export at a time; the rest follows when it ends', async (t) => {
  const { exporter, p, registry } = setup()
  exporter.answer = 'hold'
  for (let i = 0; i < 9; i++) p.onEnd(span)
  t.same(exporter.batches, [4], 'one batch of 4 in flight, 5 queued')
  exporter.pending.shift()!({ code: ExportResultCode.SUCCESS })
  await eventually('the second batch', () => exporter.batches.length === 2)
  t.same(exporter.batches, [4, 4])
  exporter.answer = 'ok'
  exporter.pending.shift()!({ code: ExportResultCode.SUCCESS })
  await p.forceFlush()
  t.same(exporter.batches, [4, 4, 1], 'the last span on flush')
  t.match(await counts(registry), { kcp_front_proxy_tracing_spans_exported_total: 9, kcp_front_proxy_tracing_queue_spans: 0 })
})

t.test('a full queue drops spans and counts them; requests never wait for the exporter', async (t) => {
  const { exporter, p, registry } = setup()
  exporter.answer = 'hold'
  // 4 go out with the first batch, 10 fill the queue, 6 are dropped.
  for (let i = 0; i < 20; i++) p.onEnd(span)
  t.match(await counts(registry), { 'kcp_front_proxy_tracing_spans_dropped_total{queue_full}': 6, kcp_front_proxy_tracing_queue_spans: 10 })
})

t.test('a failed or unanswered export drops its spans as export_failed and reports each outcome', async (t) => {
  // The processor's timers are unref'd (they must not hold a proxy open); this keeps the test's loop alive meanwhile.
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(alive))
  const { exporter, p, registry, failures } = setup({ exportTimeoutMs: 50 })
  exporter.answer = 'fail'
  for (let i = 0; i < 4; i++) p.onEnd(span)
  await p.forceFlush()
  exporter.answer = 'hold'
  for (let i = 0; i < 4; i++) p.onEnd(span)
  await p.forceFlush() // the held export times out after 50 ms
  exporter.answer = 'ok'
  for (let i = 0; i < 4; i++) p.onEnd(span)
  await p.forceFlush()
  t.match(await counts(registry), { 'kcp_front_proxy_tracing_spans_dropped_total{export_failed}': 8, kcp_front_proxy_tracing_spans_exported_total: 4 })
  t.match(failures.map((e) => e?.message), [/./, /timed out after 50 ms/, undefined])
})

t.test('shutdown flushes what is queued, closes the exporter, and counts later spans as shutdown drops', async (t) => {
  const { exporter, p, registry } = setup()
  for (let i = 0; i < 3; i++) p.onEnd(span)
  t.same(exporter.batches, [], 'below a batch: waiting for the timer')
  await p.shutdown()
  t.same(exporter.batches, [3])
  t.equal(exporter.shutdowns, 1)
  p.onEnd(span)
  t.match(await counts(registry), { kcp_front_proxy_tracing_spans_exported_total: 3, 'kcp_front_proxy_tracing_spans_dropped_total{shutdown}': 1 })
})

t.test('abandon counts what is still queued as shutdown drops', async (t) => {
  const { exporter, p, registry } = setup()
  exporter.answer = 'hold'
  for (let i = 0; i < 7; i++) p.onEnd(span)
  p.abandon()
  t.match(await counts(registry), { 'kcp_front_proxy_tracing_spans_dropped_total{shutdown}': 3, kcp_front_proxy_tracing_queue_spans: 0 })
})

t.test('the delay timer sends a partial batch', async (t) => {
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(alive))
  const { exporter, p } = setup({ delayMs: 10 })
  p.onEnd(span)
  await eventually('the timer export', () => exporter.batches.length === 1)
  t.same(exporter.batches, [1])
})
