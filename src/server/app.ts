// Fastify assembly. fastify owns /livez, /readyz and /metrics; every other request goes
// straight from the Node server to the proxy pipeline (serverFactory), because upstream
// keeps health and metrics outside the proxy chain and because fastify's router, body
// parsing and Reply objects would only add cost to a path that must stream raw bytes.
import type { Http2ServerRequest, Http2Session } from 'node:http2'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import type { Duplex } from 'node:stream'
import { createSecureContext, type SecureContextOptions, type SecureContext } from 'node:tls'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { requestLogWriter } from './logging.js'
import type { Registry } from 'prom-client'
import type { CompletedOptions } from '../config/types.js'
import type { ReadinessCheck, ReadinessReport } from '../controller/types.js'
import type { RoutingIndex } from '../index/types.js'
import type { BackendPools } from '../proxy/backends.js'
import { compileCors } from '../proxy/cors.js'
import type { MappingStore } from '../proxy/mapping-store.js'
import type { ProxyMetrics } from '../proxy/metrics.js'
import { createAccounting } from '../proxy/accounting.js'
import { createAdmission, type RequestAuthenticator, type WorkspaceAuthenticators } from '../proxy/admission.js'
import { BodyReader } from '../proxy/body.js'
import { peerCertificates } from '../proxy/peer.js'
import { createPipeline } from '../proxy/pipeline.js'
import { createUpgradeHandler } from '../proxy/upgrade.js'
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-limits.js'
import { createListener, type AnyReq, type AnyRes, type Listener } from './listener.js'
import { renderHealth } from './health.js'
import { answerMetrics, type MetricsAuthorizer } from './metrics-endpoint.js'
import { loadSniCerts, matchSni, resolveServingCert, watchServingCert } from './tls.js'

export interface ServerParts {
  options: CompletedOptions
  logger: Logger
  registry: Registry
  metrics: ProxyMetrics
  index: RoutingIndex
  readiness: () => ReadinessReport
  authenticator?: RequestAuthenticator
  /** WorkspaceAuthentication gate: the authenticators workspace types bring. */
  workspaceAuthentication?: WorkspaceAuthenticators
  authorizeMetrics?: MetricsAuthorizer
  /** PEM CAs to request client certificates for; none = no certificate request. */
  clientCAs?: () => string[]
  onClientCAsChange?: (cb: () => void) => void
  mappings: MappingStore
  pools: BackendPools
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

const noop = (): void => undefined

/** /livez, /readyz, /metrics (exactly, or followed by `/` or `?`). */
function isServerPath(url: string): boolean {
  const c = url.charCodeAt(1)
  if (c !== 108 /* l */ && c !== 114 /* r */ && c !== 109 /* m */) return false
  for (const p of ['/livez', '/readyz', '/metrics']) {
    if (url.startsWith(p)) {
      const n = url.charCodeAt(p.length)
      return Number.isNaN(n) || n === 47 || n === 63
    }
  }
  return false
}

export async function startServer(parts: ServerParts): Promise<RunningServer> {
  const { options, logger, registry, metrics } = parts
  const ss = options.secureServing
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...parts.connectionLimits }
  const http2 = !ss.disableHttp2Serving
  const serving = await resolveServingCert(ss, logger)
  const tlsSettings = ss.tls
  let certPair = { cert: serving.cert, key: serving.key }

  const sniCerts = await loadSniCerts(ss.tlsSniCertKey)
  let sniContexts = new Map<string, SecureContext>()
  const secureContext = (): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: false; SNICallback?: (n: string, cb: (e: Error | null, c?: SecureContext) => void) => void } => {
    const cas = parts.clientCAs?.() ?? []
    const common = {
      ...(cas.length > 0 ? { ca: cas } : {}),
      minVersion: tlsSettings.minVersion,
      ...(tlsSettings.ciphers !== undefined ? { ciphers: tlsSettings.ciphers } : {}),
      ...(tlsSettings.ecdhCurve !== undefined ? { ecdhCurve: tlsSettings.ecdhCurve } : {}),
    }
    // SNI certificates share the client-CA and cipher settings; rebuilt with them on every refresh.
    sniContexts = new Map([...sniCerts].map(([name, pair]) => [name, createSecureContext({ ...common, ...pair })]))
    return {
      ...(sniContexts.size > 0 ? { SNICallback: (name: string, cb: (e: Error | null, c?: SecureContext) => void) => cb(null, matchSni(sniContexts, name)) } : {}),
      ...common,
      cert: certPair.cert,
      key: certPair.key,
      // Requested, not required: authenticators decide (a token-only client has no certificate).
      requestCert: cas.length > 0,
      rejectUnauthorized: false,
    }
  }

  const corsRes = options.proxy.corsOrigins
  // Steps 4–8 (admission.ts): one instance, shared by requests and upgrades.
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
    cors: compileCors(corsRes),
    body: new BodyReader({ bufferBytes: options.extra.requestBodyBufferBytes, timeoutMs: options.extra.requestBodyTimeoutSeconds * 1000 }),
  })
  const tunnels = new Set<Duplex>()
  const onUpgrade = createUpgradeHandler({ admit, pools: parts.pools, metrics, logger, account, tunnels })

  let shuttingDown = false
  const serverChecks = (): ReadinessCheck[] => [{ name: 'shutdown', ok: !shuttingDown, ...(shuttingDown ? { message: 'the server is shutting down' } : {}) }]

  const goaway = options.extra.goawayChance
  let listener: Listener | undefined

  // fastify's option types cannot express "h2 with an h1 fallback via serverFactory"; the shape below is checked at runtime by fastify.
  const createFastify = Fastify as unknown as (o: object) => FastifyInstance
  const app = createFastify({
    // Health/metrics requests are not worth a log line each; proxy requests are logged by the pipeline.
    logger: false,
    ...(http2 ? { http2: true as const, https: { allowHTTP1: true } } : { https: {} }),
    // The listener answers what Node's HTTP/1.1 parser refuses (connection-limits.ts); a second
    // answer on the same socket would be a write after end.
    clientErrorHandler: noop,
    serverFactory: (fastifyHandler: (req: AnyReq, res: AnyRes) => void) => {
      const onRequest = (req: AnyReq, res: AnyRes): void => {
        const url = req.url ?? '/'
        if (isServerPath(url)) {
          fastifyHandler(req, res)
          return
        }
        // Probabilistic GOAWAY: long-lived h2 connections move to other replicas over time.
        if (goaway > 0 && req.httpVersionMajor === 2 && Math.random() < goaway) {
          const session = (req as Http2ServerRequest).stream.session
          if (session !== undefined) res.once('finish', () => session.close())
        }
        pipeline.handle(req, res)
      }
      listener = createListener({ tls: secureContext(), http2, maxStreams: ss.http2MaxStreamsPerConnection || 100, limits, logger, onRequest, onUpgrade })
      return listener.server as unknown as HttpServer
    },
  })
  const { sockets, sessions } = listener!

  // Health: k8s healthz formats. /livez only has `ping`; /readyz adds the controller's checks.
  const livez = (sub: string, q: string) => renderHealth('livez', [{ name: 'ping', ok: true }], sub, q)
  const readyz = (sub: string, q: string) => renderHealth('readyz', [...serverChecks(), ...parts.readiness().checks], sub, q)
  for (const [path, fn] of [['livez', livez], ['readyz', readyz]] as const) {
    const h = (sub: string) => (req: { url: string }, reply: { code(n: number): unknown; header(k: string, v: string): unknown; send(b: string): unknown }) => {
      const q = req.url.indexOf('?')
      const a = fn(sub, q < 0 ? '' : req.url.slice(q + 1))
      reply.code(a.status)
      reply.header('content-type', 'text/plain; charset=utf-8')
      reply.header('x-content-type-options', 'nosniff')
      reply.send(a.body)
    }
    // Any method, as Go's healthz handlers answer (upstream: `POST /livez` is 200).
    app.all(`/${path}`, h(''))
    app.all(`/${path}/:check`, (req, reply) => h((req.params as { check: string }).check)(req, reply))
  }
  app.get('/metrics', async (req, reply) => {
    const a = await answerMetrics(registry, parts.authorizeMetrics, { headers: req.raw.headers, peerCertificates: peerCertificates(req.raw) })
    reply.code(a.status).header('content-type', a.contentType)
    if (a.status !== 200) reply.header('x-content-type-options', 'nosniff')
    return a.body
  })

  // Optional plain-HTTP metrics listener for in-cluster scraping (not authorized: bind it to a pod-local address).
  let metricsServer: HttpServer | undefined
  let metricsURL: string | undefined
  if (options.extra.metricsListen !== undefined) {
    const { host, port: metricsPort } = options.extra.metricsListen
    metricsServer = createHttpServer((req, res) => {
      if ((req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n')
        return
      }
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (e: unknown) => res.writeHead(500).end(String(e)),
      )
    })
    await new Promise<void>((resolve, reject) => {
      metricsServer!.once('error', reject)
      metricsServer!.listen(metricsPort, host, () => resolve())
    })
    const addr = metricsServer.address()
    metricsURL = `http://${formatHost(host)}:${typeof addr === 'object' && addr !== null ? addr.port : metricsPort}/metrics`
  }

  const listenOpts: { host: string; port: number; reusePort?: boolean } = { host: ss.bindAddress, port: ss.securePort }
  if (ss.permitPortSharing) listenOpts.reusePort = true
  await app.listen(listenOpts)
  const srv = listener!.server
  const addr = srv.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : ss.securePort
  const url = `https://${formatHost(ss.bindAddress === '0.0.0.0' || ss.bindAddress === '::' ? '127.0.0.1' : ss.bindAddress)}:${port}`

  // Reload the serving certificate and client CAs without a restart.
  const refresh = (): void => {
    try {
      ;(srv as { setSecureContext(o: SecureContextOptions): void }).setSecureContext(secureContext())
    } catch (e) {
      logger.error({ err: e }, 'cannot apply the new TLS settings; keeping the current ones')
    }
  }
  const stopCertWatch = serving.source === 'generated' ? () => undefined : watchServingCert(serving.files, logger, (pair) => {
    certPair = pair
    refresh()
  })
  parts.onClientCAsChange?.(refresh)
  logger.info({ url, http2, cert: serving.source, metricsURL }, 'serving')

  let shutdownPromise: Promise<void> | undefined
  async function shutdown(o: { delayMs?: number; timeoutMs?: number } = {}): Promise<void> {
    shutdownPromise ??= (async () => {
      const delayMs = o.delayMs ?? options.extra.shutdownDelaySeconds * 1000
      const timeoutMs = o.timeoutMs ?? options.extra.shutdownTimeoutSeconds * 1000
      // 1. Readiness fails first; connections keep being accepted while the LB deregisters us.
      shuttingDown = true
      logger.info({ delayMs, timeoutMs }, 'shutdown: readiness failing')
      if (delayMs > 0) await sleep(delayMs)
      // 2. Stop accepting. h2 clients get GOAWAY; h1 responses from now on say Connection: close.
      pipeline.inflight.draining = true
      srv.close()
      for (const s of sessions) s.close()
      stopCertWatch()
      // 3. Watches end cleanly (clients re-watch on another replica); tunnels are cut.
      pipeline.inflight.endLongRunning()
      for (const t of tunnels) t.destroy()
      // 4. In-flight requests drain, bounded.
      let timer: NodeJS.Timeout | undefined
      const drained = await Promise.race([
        pipeline.inflight.idle().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ])
      clearTimeout(timer)
      if (!drained) logger.warn({ inflight: pipeline.inflight.all.size }, 'shutdown: drain timeout; closing connections')
      // 5. Whatever is left (idle keep-alives, stuck requests) is closed.
      for (const s of sessions) s.destroy()
      for (const s of sockets) s.destroy()
      await parts.pools.destroy()
      await app.close()
      listener!.close()
      if (metricsServer !== undefined) await new Promise<void>((resolve) => metricsServer.close(() => resolve()))
      metricsServer?.closeAllConnections()
      logger.info('shutdown: done')
    })()
    return shutdownPromise
  }

  return { url, port, metricsURL, shutdown }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function formatHost(h: string): string {
  return h.includes(':') ? `[${h}]` : h
}

export type { Http2Session }
