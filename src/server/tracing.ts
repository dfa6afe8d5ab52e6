// --tracing-config-file: the tracing module is loaded only when the flag is given, so a proxy
// without it neither loads OpenTelemetry and gRPC nor pays anything on the request path.
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { CompletedOptions } from '../config/types.js'
import type { Tracing } from '../tracing/index.js'

export async function startTracing(options: CompletedOptions, registry: Registry, logger: Logger): Promise<Tracing | undefined> {
  const config = options.extra.tracing
  if (config === undefined) return undefined
  const { createTracing } = await import('../tracing/index.js')
  return createTracing(config, { registry, logger })
}
