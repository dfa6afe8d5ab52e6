// startServer: the assembly of one serving front-proxy from its parts. Each job has its module:
// TLS contexts (tls-contexts.ts), the request path (request-pipeline.ts), fastify and the Node
// server (server-factory.ts), health and metrics routes (routes.ts), the plain metrics listener
// (metrics-server.ts), certificate reload (cert-reload.ts) and shutdown (shutdown.ts).
import type { Registry } from 'prom-client'
import { startTLSReload } from './cert-reload.js'
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-limits.js'
import type { MetricsAuthorizer } from './metrics-endpoint.js'
import { startMetricsServer } from './metrics-server.js'
import { wireRequestPath, type RequestParts } from './request-pipeline.js'
import { registerServerRoutes } from './routes.js'
import { createApp } from './server-factory.js'
import { Connections, createShutdown } from './shutdown.js'
import { servingURL } from './address.js'
import { loadSniCerts, resolveServingCert } from './tls.js'
import { ServingContexts } from './tls-contexts.js'

export interface ServerParts extends RequestParts {
  registry: Registry
  authorizeMetrics?: MetricsAuthorizer
  /** PEM CAs to request client certificates for; none = no certificate request. */
  clientCAs?: () => string[]
  onClientCAsChange?: (cb: () => void) => void
  /** Client connection bounds; default upstream's (connection-limits.ts). */
  connectionLimits?: Partial<ConnectionLimits>
}

export interface RunningServer {
  readonly url: string
  readonly port: number
  readonly metricsURL: string | undefined
  /** Graceful: readiness fails, wait delayMs, stop accepting, end watches, drain up to timeoutMs, close. */
  shutdown(o?: { delayMs?: number; timeoutMs?: number }): Promise<void>
}

export async function startServer(parts: ServerParts): Promise<RunningServer> {
  const { options, logger } = parts
  const ss = options.secureServing
  const serving = await resolveServingCert(ss, logger)
  const contexts = new ServingContexts({
    pair: { cert: serving.cert, key: serving.key },
    sniCerts: await loadSniCerts(ss.tlsSniCertKey),
    settings: ss.tls,
    ...(parts.clientCAs !== undefined ? { clientCAs: parts.clientCAs } : {}),
  })
  const connections = new Connections()
  const http2 = !ss.disableHttp2Serving
  const { app, listener } = createApp({
    listener: {
      tls: contexts.listenerOptions(),
      http2,
      maxStreams: ss.http2MaxStreamsPerConnection || 100,
      limits: { ...DEFAULT_CONNECTION_LIMITS, ...parts.connectionLimits },
      logger,
      connections,
    },
    requests: wireRequestPath(parts, connections),
    goawayChance: options.extra.goawayChance,
  })
  const shutdown = createShutdown({
    logger,
    connections,
    defaults: { delayMs: options.extra.shutdownDelaySeconds * 1000, timeoutMs: options.extra.shutdownTimeoutSeconds * 1000 },
    stopAccepting: () => listener.server.close(),
    stopReloads: () => stopReload(),
    release: [() => parts.pools.destroy(), () => app.close(), () => listener.close(), () => metricsServer?.close()],
  })
  registerServerRoutes(app, { readyzChecks: () => [...shutdown.checks(), ...parts.readiness().checks], registry: parts.registry, authorizeMetrics: parts.authorizeMetrics })

  const metricsServer = options.extra.metricsListen !== undefined ? await startMetricsServer(options.extra.metricsListen, parts.registry, logger) : undefined
  try {
    await app.listen({ host: ss.bindAddress, port: ss.securePort, ...(ss.permitPortSharing ? { reusePort: true } : {}) })
  } catch (e) {
    // The port is taken or not ours: nothing may stay open behind the error.
    await metricsServer?.close()
    await app.close()
    listener.close()
    throw e
  }
  const addr = listener.server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : ss.securePort
  const url = servingURL(ss.bindAddress, port)

  // Reload the serving certificate and client CAs without a restart.
  const stopReload = startTLSReload({
    serving,
    contexts,
    server: listener.server,
    ...(parts.onClientCAsChange !== undefined ? { onClientCAsChange: parts.onClientCAsChange } : {}),
    logger,
  })
  logger.info({ url, http2, cert: serving.source, metricsURL: metricsServer?.url }, 'serving')
  return { url, port, metricsURL: metricsServer?.url, shutdown: shutdown.shutdown }
}
