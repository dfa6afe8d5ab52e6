// Composition of one front-proxy from already-built parts. createFrontProxy() and
// runFrontProxy() (index.ts) build the parts from options; tests and embedders with their
// own index or authenticator can call this directly.
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import type { WorkspaceAuthentication } from '../auth/workspace/index.js'
import type { CompletedOptions } from '../config/types.js'
import type { IndexController, ReadinessCheck, ReadinessReport } from '../controller/types.js'
import type { RoutingIndexReader } from '../index/types.js'
import { BackendPools } from '../proxy/backends.js'
import { MappingStore } from '../proxy/mapping-store.js'
import { createProxyMetrics } from '../proxy/metrics.js'
import type { RequestAuthenticator } from '../proxy/admission.js'
import { startServer } from './app.js'
import type { ConnectionLimits } from './connection-limits.js'
import type { MetricsAuthorizer } from './metrics-endpoint.js'
import { registerProcessMetrics } from './process-metrics.js'
import { startTracing } from './tracing.js'

export interface FrontProxy {
  readonly url: string
  readonly port: number
  readonly registry: Registry
  readonly index: RoutingIndexReader
  readonly metricsURL?: string
  /** Graceful: see docs/server.md (readiness fails, delay, stop accepting, end watches, drain, close). */
  shutdown(o?: { delayMs?: number; timeoutMs?: number }): Promise<void>
  /** Immediate: shutdown without delay and with a short drain. */
  close(): Promise<void>
}

/** What the server needs from src/auth (createAuthentication's result satisfies it). */
export interface ServerAuthentication extends RequestAuthenticator {
  authorizeMetrics?: MetricsAuthorizer
  clientCAs?(): string[]
  onClientCAsChange?(cb: () => void): void
  close?(): void | Promise<void>
}

export interface FrontProxyParts {
  options: CompletedOptions
  logger: Logger
  registry?: Registry
  index: RoutingIndexReader
  /** Started by startFrontProxy; readiness comes from it. Without one the proxy is ready at once. */
  controller?: IndexController
  authentication?: ServerAuthentication
  /** Client connection bounds (default upstream's: 32 s for headers, 90 s idle); harnesses may shorten them. */
  connectionLimits?: Partial<ConnectionLimits>
  /**
   * Per-workspace authentication (WorkspaceAuthentication gate; src/auth/workspace, docs/auth.md).
   * Its per-WAC checks join readiness (never blocking); it is closed on shutdown. The request
   * pipeline asks it per request: authenticatorFor(LookupResult.type, LookupResult.cluster).
   */
  workspaceAuthentication?: WorkspaceAuthentication
  /** Wait for controller.whenReady() before listening (upstream: the port stays closed until synced). Default true. */
  waitForReady?: boolean
  /** Gives up the start: the controller is stopped, what was started is closed, the signal's reason thrown. */
  signal?: AbortSignal
}

const READY: ReadinessReport = { ready: true, checks: [] }

/** More checks on a report; a blocking failure among them makes it not ready. */
function withChecks(r: ReadinessReport, more: ReadinessCheck[]): ReadinessReport {
  if (more.length === 0) return r
  return { ready: r.ready && more.every((c) => c.ok || c.blocking === false), checks: [...r.checks, ...more] }
}

/** controller.whenReady(), given up when `signal` aborts (stopping the controller ends the wait). */
async function untilReady(controller: IndexController, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return controller.whenReady()
  signal.throwIfAborted()
  const stop = (): void => void controller.stop()
  signal.addEventListener('abort', stop, { once: true })
  try {
    await controller.whenReady()
  } catch (e) {
    throw signal.aborted ? signal.reason : e
  } finally {
    signal.removeEventListener('abort', stop)
  }
}

export async function startFrontProxy(p: FrontProxyParts): Promise<FrontProxy> {
  const { options, logger, index, controller, authentication, workspaceAuthentication } = p
  const registry = p.registry ?? new Registry()
  const metrics = createProxyMetrics(registry)
  registerProcessMetrics(registry)
  const pools = new BackendPools({
    protocol: options.extra.backendProtocol,
    maxConnections: options.extra.backendMaxConnections,
    queue: {
      size: options.extra.backendQueueSize,
      timeoutMs: options.extra.backendQueueTimeoutSeconds * 1000,
      ...(options.extra.enableFairQueuing ? { flowQueueLength: options.extra.fairQueuingQueueLength } : {}),
    },
    fairQueuing: options.extra.enableFairQueuing,
    flowControlStats: metrics.flowControl,
  })
  const mappings = await MappingStore.open({ file: options.proxy.mappingFile, logger, pools })
  const tracing = await startTracing(options, registry, logger)
  const cleanups: (() => unknown)[] = [() => mappings.close(), () => pools.destroy(), () => tracing?.shutdown(0)]
  try {
    if (controller !== undefined) {
      await controller.start()
      cleanups.push(() => controller.stop())
      if (p.waitForReady !== false) await untilReady(controller, p.signal)
    }
    p.signal?.throwIfAborted()
    const server = await startServer({
      options,
      logger,
      registry,
      metrics,
      index,
      readiness: () => withChecks(controller?.readiness() ?? READY, workspaceAuthentication?.readiness() ?? []),
      ...(authentication !== undefined
        ? {
            authenticator: authentication,
            ...(authentication.authorizeMetrics ? { authorizeMetrics: authentication.authorizeMetrics.bind(authentication) } : {}),
            ...(authentication.clientCAs ? { clientCAs: authentication.clientCAs.bind(authentication) } : {}),
            ...(authentication.onClientCAsChange ? { onClientCAsChange: authentication.onClientCAsChange.bind(authentication) } : {}),
          }
        : {}),
      mappings,
      pools,
      ...(workspaceAuthentication !== undefined ? { workspaceAuthentication } : {}),
      ...(p.connectionLimits !== undefined ? { connectionLimits: p.connectionLimits } : {}),
      tracer: tracing?.tracer,
    })
    let done: Promise<void> | undefined
    const shutdown = (o?: { delayMs?: number; timeoutMs?: number }): Promise<void> =>
      (done ??= (async () => {
        const started = performance.now()
        await server.shutdown(o)
        // Spans of the drained requests leave within what the drain left of the shutdown timeout.
        const timeoutMs = o?.timeoutMs ?? options.extra.shutdownTimeoutSeconds * 1000
        const drainMs = performance.now() - started - (o?.delayMs ?? options.extra.shutdownDelaySeconds * 1000)
        await tracing?.shutdown(timeoutMs - drainMs)
        mappings.close()
        await controller?.stop()
        await authentication?.close?.()
        await workspaceAuthentication?.close()
      })())
    return {
      url: server.url,
      port: server.port,
      registry,
      index,
      ...(server.metricsURL !== undefined ? { metricsURL: server.metricsURL } : {}),
      shutdown,
      close: () => shutdown({ delayMs: 0, timeoutMs: 1000 }),
    }
  } catch (e) {
    for (const c of cleanups.reverse()) await c()
    throw e
  }
}
