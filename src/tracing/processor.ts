// A batching span processor that never makes a request wait: ended spans go into a bounded queue
// (full = the span is dropped and counted), batches leave on a timer or when a batch is full, one
// export at a time, each bounded in time. OpenTelemetry's own BatchSpanProcessor does the same but
// only logs its drops; ours counts them in /metrics (metrics.ts) and flushes within a deadline.
import type { Context } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace'
import type { TracingMetrics } from './metrics.js'

export interface BatchLimits {
  /** Spans held at most; more are dropped. */
  maxQueueSize: number
  /** Spans per export call. */
  maxBatchSize: number
  /** Longest a span waits for its batch to fill. */
  delayMs: number
  /** An export that has not answered by then counts as failed (its spans are dropped). */
  exportTimeoutMs: number
}

/** OpenTelemetry's BatchSpanProcessor defaults. */
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxQueueSize: 2048, maxBatchSize: 512, delayMs: 5000, exportTimeoutMs: 30_000 }

export class BoundedBatchProcessor implements SpanProcessor {
  readonly #exporter: SpanExporter
  readonly #limits: BatchLimits
  readonly #metrics: TracingMetrics
  readonly #onFailure: (err: Error | undefined) => void
  #queue: ReadableSpan[] = []
  #timer: NodeJS.Timeout | undefined
  #exporting: Promise<void> | undefined
  #closed = false

  constructor(exporter: SpanExporter, metrics: TracingMetrics, limits: BatchLimits = DEFAULT_BATCH_LIMITS, onFailure: (err: Error | undefined) => void = () => {}) {
    this.#exporter = exporter
    this.#metrics = metrics
    this.#limits = limits
    this.#onFailure = onFailure
  }

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#closed) return this.#metrics.dropped('shutdown', 1)
    if (this.#queue.length >= this.#limits.maxQueueSize) return this.#metrics.dropped('queue_full', 1)
    this.#queue.push(span)
    this.#metrics.queued(this.#queue.length)
    if (this.#queue.length >= this.#limits.maxBatchSize) this.#next()
    else this.#timer ??= setTimeout(() => this.#next(), this.#limits.delayMs).unref()
  }

  /** Starts the next export unless one is running (it starts the next when it ends). */
  #next(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#exporting !== undefined || this.#queue.length === 0) return
    const batch = this.#queue.splice(0, this.#limits.maxBatchSize)
    this.#metrics.queued(this.#queue.length)
    this.#exporting = this.#send(batch).then(() => {
      this.#exporting = undefined
      if (this.#queue.length >= this.#limits.maxBatchSize || (this.#closed && this.#queue.length > 0)) this.#next()
      else if (this.#queue.length > 0) this.#timer ??= setTimeout(() => this.#next(), this.#limits.delayMs).unref()
    })
  }

  #send(batch: ReadableSpan[]): Promise<void> {
    return new Promise((resolve) => {
      let settled = false
      const settle = (r: ExportResult): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (r.code === ExportResultCode.SUCCESS) this.#metrics.exported(batch.length)
        else this.#metrics.dropped('export_failed', batch.length)
        this.#onFailure(r.code === ExportResultCode.SUCCESS ? undefined : (r.error ?? new Error('export failed')))
        resolve()
      }
      const timer = setTimeout(() => settle({ code: ExportResultCode.FAILED, error: new Error(`export timed out after ${this.#limits.exportTimeoutMs} ms`) }), this.#limits.exportTimeoutMs).unref()
      try {
        this.#exporter.export(batch, settle)
      } catch (e) {
        settle({ code: ExportResultCode.FAILED, error: e as Error })
      }
    })
  }

  /** Exports everything queued now; resolves when the queue is empty (bounded by the queue's size in batches). */
  async forceFlush(): Promise<void> {
    const rounds = Math.ceil(this.#queue.length / this.#limits.maxBatchSize) + 1
    for (let i = 0; i <= rounds && (this.#queue.length > 0 || this.#exporting !== undefined); i++) {
      this.#next()
      await this.#exporting
    }
  }

  /** Later spans are dropped (counted as shutdown); what is queued is flushed, then the exporter closes. */
  async shutdown(): Promise<void> {
    this.#closed = true
    await this.forceFlush()
    await this.#exporter.shutdown()
  }

  /** Spans still queued (not yet handed to the exporter); the final flush counts them as shutdown drops. */
  abandon(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    if (this.#queue.length > 0) this.#metrics.dropped('shutdown', this.#queue.length)
    this.#queue = []
    this.#metrics.queued(0)
  }
}
