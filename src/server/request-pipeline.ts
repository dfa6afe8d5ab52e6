// Wiring of the proxy's request path from the server's parts: one admission (steps 4–8) shared
// by requests and upgrades, one accounting, the pipeline (src/proxy/pipeline.ts) and the upgrade
// handler; both report what they hold to the shutdown module's Connections.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { CompletedOptions } from '../config/types.js'
import type { ReadinessReport } from '../controller/types.js'
import type { RoutingIndexReader } from '../index/types.js'
import { createAccounting } from '../proxy/accounting.js'
import { createAdmission, type RequestAuthenticator, type WorkspaceAuthenticators } from '../proxy/admission.js'
import type { BackendPools } from '../proxy/backends.js'
import { BodyReader } from '../proxy/body.js'
import type { ProxyRequest, ProxyResponse } from '../proxy/exchange.js'
import type { MappingStore } from '../proxy/mapping-store.js'
import type { ProxyMetrics } from '../proxy/metrics.js'
import { createPipeline } from '../proxy/pipeline.js'
import type { RequestTracer } from '../proxy/trace-hook.js'
import { createUpgradeHandler } from '../proxy/upgrade.js'
import { compileCors } from '../proxy/cors.js'
import { requestLogWriter } from './logging.js'
import type { Connections } from './shutdown.js'

export interface RequestParts {
  options: CompletedOptions
  logger: Logger
  metrics: ProxyMetrics
  index: RoutingIndexReader
  readiness: () => ReadinessReport
  authenticator?: RequestAuthenticator
  /** WorkspaceAuthentication gate: the authenticators workspace types bring. */
  workspaceAuthentication?: WorkspaceAuthenticators
  mappings: MappingStore
  pools: BackendPools
  /** --tracing-config-file (src/tracing); undefined = tracing off. */
  tracer?: RequestTracer | undefined
}

export interface RequestPath {
  readonly handle: (req: ProxyRequest, res: ProxyResponse) => void
  readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
}

export function wireRequestPath(parts: RequestParts, connections: Connections): RequestPath {
  const { options, logger, metrics } = parts
  // Shards not synced yet, named in the 403 for a workspace the proxy does not know (yet).
  const notIndexed = (): string[] => parts.readiness().checks.filter((c) => !c.ok && c.name.startsWith('shard:')).map((c) => c.name.slice('shard:'.length))
  const admit = createAdmission({ routes: parts.mappings.routes, index: parts.index, authenticator: parts.authenticator, workspaceAuthentication: parts.workspaceAuthentication, notIndexed, logger })
  const logRequest = requestLogWriter(logger)
  const account = createAccounting(metrics, logger, logRequest)
  const pipeline = createPipeline({
    routes: parts.mappings.routes,
    index: parts.index,
    authenticator: parts.authenticator,
    admit,
    pools: parts.pools,
    metrics,
    logger,
    logRequest,
    cors: compileCors(options.proxy.corsOrigins),
    body: new BodyReader({ bufferBytes: options.extra.requestBodyBufferBytes, timeoutMs: options.extra.requestBodyTimeoutSeconds * 1000 }),
    inflight: connections.inflight,
    fairness: options.extra.enableFairQueuing ? { flowKey: options.extra.fairQueuingFlowKey } : undefined,
    tracer: parts.tracer,
  })
  const onUpgrade = createUpgradeHandler({ admit, pools: parts.pools, metrics, logger, account, tunnels: connections.tunnels, tracer: parts.tracer })
  return { handle: (req, res) => pipeline.handle(req, res), onUpgrade }
}
