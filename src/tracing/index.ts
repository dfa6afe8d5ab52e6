// OpenTelemetry tracing (--tracing-config-file): the request tracer the proxy's hook calls
// (tracer.ts), a bounded batching processor (processor.ts) and the OTLP/gRPC exporter to the
// collector, plaintext as kube-apiserver's. Built only when the flag is given (the server imports
// this module then, so a proxy without tracing does not even load it); the proxy never waits for
// the collector, and shutdown flushes within the budget it is given.
import { credentials } from '@grpc/grpc-js'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { AlwaysOnSampler, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { TracingConfig } from '../config/tracing-file.js'
import type { RequestTracer } from '../proxy/trace-hook.js'
import { createTracingMetrics } from './metrics.js'
import { BoundedBatchProcessor, DEFAULT_BATCH_LIMITS, type BatchLimits } from './processor.js'
import { createRequestTracer } from './tracer.js'

export interface Tracing {
  readonly tracer: RequestTracer
  /** Exports what is queued within `budgetMs`, drops (and counts) the rest, closes the exporter. */
  shutdown(budgetMs: number): Promise<void>
}

export interface TracingDeps {
  registry: Registry
  logger: Logger
  /** Batching bounds; default OpenTelemetry's (2048 queued, 512 per export, 5 s). */
  limits?: Partial<BatchLimits>
  /** Default: OTLP/gRPC to config.endpoint. */
  exporter?: SpanExporter
}

export function createTracing(config: TracingConfig, deps: TracingDeps): Tracing {
  const { logger } = deps
  const limits = { ...DEFAULT_BATCH_LIMITS, ...deps.limits }
  const exporter = deps.exporter ?? new OTLPTraceExporter({
    url: `http://${config.endpoint}`,
    credentials: credentials.createInsecure(),
    timeoutMillis: Math.min(10_000, limits.exportTimeoutMs),
  })
  // One log line when the collector starts failing and one when it recovers; the counts are in /metrics.
  let failing = false
  const onFailure = (err: Error | undefined): void => {
    if ((err !== undefined) === failing) return
    failing = err !== undefined
    if (err !== undefined) logger.warn({ endpoint: config.endpoint, err: err.message }, 'tracing: exporting spans failed; dropping them until the collector answers')
    else logger.info({ endpoint: config.endpoint }, 'tracing: exporting spans again')
  }
  const processor = new BoundedBatchProcessor(exporter, createTracingMetrics(deps.registry), limits, onFailure)
  const provider = new TracerProvider({
    // The decision is made before a span exists (traceparent.ts); every span started is sampled.
    sampler: new AlwaysOnSampler(),
    resource: resourceFromAttributes({ 'service.name': 'kcp-front-proxy' }),
    spanProcessors: [processor],
  })
  const tracer = createRequestTracer({ tracer: provider.getTracer('kcp-front-proxy'), samplingRatePerMillion: config.samplingRatePerMillion })
  logger.info({ endpoint: config.endpoint, samplingRatePerMillion: config.samplingRatePerMillion }, 'tracing: exporting spans over OTLP/gRPC')

  let done: Promise<void> | undefined
  return {
    tracer,
    shutdown: (budgetMs) =>
      (done ??= (async () => {
        let timer: NodeJS.Timeout | undefined
        const flushed = await Promise.race([
          processor.shutdown().then(() => true, () => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, budgetMs)))),
        ])
        clearTimeout(timer)
        if (!flushed) {
          processor.abandon()
          logger.warn({ endpoint: config.endpoint, budgetMs }, 'tracing: spans not flushed within the shutdown timeout; dropped')
          // The exporter may still hold a gRPC channel; closing it must not hold the process.
          void exporter.shutdown().catch(() => {})
        }
      })()),
  }
}
