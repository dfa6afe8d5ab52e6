// One emulated kcp shard: an HTTPS server on its own port with its own versioned store. stop()/start()
// keep the store and the port, like a shard process restarting with its etcd intact.
import https from 'node:https'
import http2 from 'node:http2'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import type { ShardAuthenticator } from './auth.js'
import type { ClusterDirectory, ShardContext } from './context.js'
import { ShardCore, type WriteHooks } from './core.js'
import { handle } from './handler.js'
import { ensureHeadersDistinct } from './headers.js'
import { Store } from './store.js'
import type { EmulatedShard, ReceivedRequest, ShardStats } from './types.js'
import { WatchRegistry } from './watch.js'

export interface ShardTLS {
  key: string
  cert: string
  /** CAs whose client certificates are requested (client CA and requestheader CA). */
  clientCAs: string[]
}

export interface ShardOptions {
  name: string
  host: string
  labels: Record<string, string>
  tls: ShardTLS
  auth: ShardAuthenticator
  directory: ClusterDirectory
  hooks: (shard: Shard) => WriteHooks
  logger: Logger
  historyWindow: number
  bookmarkIntervalMs?: number
  /** HTTP/2 with HTTP/1.1 fallback (ALPN) instead of HTTP/1.1 only. */
  http2?: boolean
}

/** Streams per h2 connection: well above Node's default 100, so a proxy can multiplex many watches. */
const H2_MAX_STREAMS = 1000
/** kube-apiserver's MaxHeaderBytes (1 MiB), not Node's 16 KiB: a large token must reach the shard as it would a real one. */
const MAX_HEADER_BYTES = 1 << 20

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host)

export class Shard implements EmulatedShard, ShardContext {
  readonly name: string
  readonly store: Store
  readonly core: ShardCore
  readonly auth: ShardAuthenticator
  readonly watches = new WatchRegistry()
  readonly directory: ClusterDirectory
  readonly logger: Logger
  readonly bookmarkIntervalMs: number
  labels: Record<string, string>
  private readonly host: string
  private readonly tls: ShardTLS
  private server: https.Server | http2.Http2SecureServer | undefined
  private readonly http2: boolean
  private readonly sockets = new Set<Socket>()
  private listenPort = 0
  private latencyMs = 0
  private requests = 0
  private taps = new Set<(r: ReceivedRequest) => void>()
  private connections = 0
  private advertised: string | undefined
  /** Per-request debug lines (method, URL, status; never headers with credentials). */
  private readonly trace: boolean

  constructor(o: ShardOptions) {
    this.name = o.name
    this.host = o.host
    this.labels = o.labels
    this.tls = o.tls
    this.auth = o.auth
    this.directory = o.directory
    this.logger = o.logger
    this.bookmarkIntervalMs = o.bookmarkIntervalMs ?? 60_000
    this.http2 = o.http2 ?? false
    this.trace = o.logger.isLevelEnabled('debug')
    // Shards start at different RVs so a client that mixes them up notices in tests.
    this.store = new Store(o.historyWindow, 1000 + Math.floor(Math.random() * 1000))
    this.core = new ShardCore(this.store, o.hooks(this))
  }

  get port(): number {
    return this.listenPort
  }

  /** The URL clients should use; setShardBaseURL may switch the host form (127.0.0.1 ↔ localhost). */
  get baseURL(): string {
    return this.advertised ?? `https://${urlHost(this.host)}:${this.listenPort}`
  }

  set baseURL(v: string) {
    this.advertised = v.replace(/\/+$/, '')
  }

  get serverAddress(): string {
    return `${urlHost(this.host)}:${this.listenPort}`
  }

  tapRequests(fn: (r: ReceivedRequest) => void): () => void {
    this.taps.add(fn)
    return () => this.taps.delete(fn)
  }

  get stats(): ShardStats {
    return { requests: this.requests, openWatches: this.watches.size, connections: this.connections }
  }

  /** The serving key pair (benchmarks build a same-certificate baseline server from it). */
  get tlsMaterial(): { key: string; cert: string } {
    return { key: this.tls.key, cert: this.tls.cert }
  }

  get running(): boolean {
    return this.server !== undefined
  }

  async start(): Promise<void> {
    if (this.server) return
    const tlsOpts = { key: this.tls.key, cert: this.tls.cert, ca: this.tls.clientCAs, requestCert: true, rejectUnauthorized: false }
    // The h2 compatibility API gives the handler request/response objects shaped like node:http's.
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      this.requests++
      if (this.taps.size > 0) for (const tap of this.taps) tap({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers })
      // Http2ServerRequest has no headersDistinct (requestheader auth and impersonation read it).
      ensureHeadersDistinct(req)
      if (this.trace) res.on('finish', () => this.logger.debug({ method: req.method, url: req.url, status: res.statusCode, accept: req.headers.accept, contentType: req.headers['content-type'] }, 'request'))
      if (this.latencyMs > 0) setTimeout(() => void handle(this, req, res), this.latencyMs)
      else void handle(this, req, res)
    }
    const server = this.http2
      ? http2.createSecureServer({ ...tlsOpts, allowHTTP1: true, noDelay: true, settings: { maxConcurrentStreams: H2_MAX_STREAMS, maxHeaderListSize: MAX_HEADER_BYTES } }, onRequest as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void)
      : https.createServer({ ...tlsOpts, keepAliveTimeout: 30_000, maxHeaderSize: MAX_HEADER_BYTES }, onRequest)
    // The HTTP/1.1 fallback of the h2 server reads this property, not the constructor option.
    ;(server as { maxHeaderSize?: number }).maxHeaderSize = MAX_HEADER_BYTES
    server.on('connection', (s: Socket) => {
      this.connections++
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    server.on('tlsClientError', () => {
      // Clients that hang up mid-handshake (probes, rejected CAs) are not errors of the emulator.
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.listenPort, this.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const addr = server.address()
    if (addr !== null && typeof addr === 'object') this.listenPort = addr.port
    this.server = server
  }

  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    this.watches.dropAll()
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    if (server instanceof https.Server) server.closeAllConnections()
    await closed
  }

  dropWatches(): void {
    this.watches.dropAll()
  }

  compact(): void {
    this.store.compact()
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms)
  }
}
