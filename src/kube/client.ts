// A small Kubernetes API client on undici: one connection pool per origin with the
// kubeconfig's TLS material, JSON GET/POST, and a streaming watch request. It never
// logs or exposes credentials.
import { Pool } from 'undici'
import type { KubeClientConfig } from './kubeconfig.js'

export interface JSONResponse {
  status: number
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown
}

export type WatchResponse =
  | { status: 200; stream: AsyncIterable<Uint8Array> }
  /** Non-200 answers are read completely (a Kubernetes Status, usually). */
  | { status: number; body: unknown }

/** The calls a reflector needs; implemented by KubeClient (and by fakes in unit tests if ever needed). */
export interface ListWatchClient {
  getJSON(path: string, signal?: AbortSignal): Promise<JSONResponse>
  watchStream(path: string, signal: AbortSignal): Promise<WatchResponse>
}

export interface KubeClientOptions {
  /** Time to wait for response headers, default 30 s (also for watches: the server flushes headers at once). */
  headersTimeoutMs?: number
  /** Body timeout for non-watch requests, default 60 s. Watches have none: they may legitimately stay silent. */
  bodyTimeoutMs?: number
  /** Connect timeout, default 10 s. */
  connectTimeoutMs?: number
  /**
   * Rewrites the request path (after the server's path prefix is applied), e.g. to add APIExport
   * identities to wildcard requests. Throwing fails the request before any I/O.
   */
  rewritePath?: (path: string) => string
  userAgent?: string
}

export class KubeClient implements ListWatchClient {
  readonly origin: string
  private readonly pool: Pool
  private readonly prefix: string
  private readonly headers: Record<string, string>
  private readonly opts: Required<Omit<KubeClientOptions, 'rewritePath'>> & Pick<KubeClientOptions, 'rewritePath'>

  constructor(config: KubeClientConfig, opts: KubeClientOptions = {}) {
    this.opts = {
      headersTimeoutMs: opts.headersTimeoutMs ?? 30_000,
      bodyTimeoutMs: opts.bodyTimeoutMs ?? 60_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      userAgent: opts.userAgent ?? 'kcp-front-proxy',
      rewritePath: opts.rewritePath,
    }
    this.origin = config.server.origin
    // A kubeconfig server like https://host/clusters/root keeps its path: requests are appended to it.
    this.prefix = config.server.pathname.replace(/\/+$/, '')
    this.headers = { accept: 'application/json', 'user-agent': this.opts.userAgent }
    if (config.token !== undefined) this.headers.authorization = `Bearer ${config.token}`
    this.pool = new Pool(this.origin, {
      connect: {
        ca: config.ca,
        cert: config.cert,
        key: config.key,
        rejectUnauthorized: !config.insecureSkipTLSVerify,
        timeout: this.opts.connectTimeoutMs,
      },
      // Watches hold a connection each; keep idle ones briefly for the relist/re-watch cycle.
      keepAliveTimeout: 30_000,
    })
  }

  /** The request path for an API path (server prefix + rewrite). Exposed for tests and logs. */
  resolvePath(path: string): string {
    const full = this.prefix + path
    return this.opts.rewritePath ? this.opts.rewritePath(full) : full
  }

  async getJSON(path: string, signal?: AbortSignal): Promise<JSONResponse> {
    return retryStale(() => this.requestJSON('GET', path, undefined, signal), signal)
  }

  async postJSON(path: string, body: unknown, signal?: AbortSignal): Promise<JSONResponse> {
    return this.requestJSON('POST', path, JSON.stringify(body), signal)
  }

  private async requestJSON(method: 'GET' | 'POST', path: string, body: string | undefined, signal?: AbortSignal): Promise<JSONResponse> {
    const res = await this.pool.request({
      method,
      path: this.resolvePath(path),
      headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' },
      body,
      signal,
      headersTimeout: this.opts.headersTimeoutMs,
      bodyTimeout: this.opts.bodyTimeoutMs,
    })
    return { status: res.statusCode, body: parseBody(await res.body.text()) }
  }

  async watchStream(path: string, signal: AbortSignal): Promise<WatchResponse> {
    const res = await retryStale(
      () =>
        this.pool.request({
          method: 'GET',
          path: this.resolvePath(path),
          headers: this.headers,
          signal,
          headersTimeout: this.opts.headersTimeoutMs,
          // A healthy watch can be silent for minutes; liveness is the reflector's watchdog's job.
          bodyTimeout: 0,
        }),
      signal,
    )
    if (res.statusCode === 200) return { status: 200, stream: res.body }
    return { status: res.statusCode, body: parseBody(await res.body.text()) }
  }

  async close(): Promise<void> {
    await this.pool.destroy()
  }
}

/**
 * Pooled keep-alive connections the server closed at the same moment fail with a reset before
 * any response. A GET is safe to repeat, so it is retried at once (twice at most: several pooled
 * sockets can be stale together when the event loop lagged past the server's keep-alive timeout)
 * instead of paying a backoff round. Any other error, or an abort, is thrown as is.
 */
async function retryStale<T>(fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= 2 || signal?.aborted || !isStaleConnectionError(err)) throw err
    }
  }
}

function isStaleConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE'
}

function parseBody(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}
