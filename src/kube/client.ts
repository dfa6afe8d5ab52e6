// A small Kubernetes API client on the one JSON client (src/http): a kubeconfig's server, TLS
// material and credentials, JSON GET/POST and a streaming watch request. It never logs or
// exposes credentials.
import { JSONClient, type JSONResponse, type StreamResponse } from '../http/json-client.js'
import type { KubeClientConfig } from './kubeconfig.js'

export type { JSONResponse } from '../http/json-client.js'
export type WatchResponse = StreamResponse

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
  readonly #http: JSONClient
  readonly #prefix: string
  readonly #rewritePath: ((path: string) => string) | undefined

  constructor(config: KubeClientConfig, opts: KubeClientOptions = {}) {
    this.origin = config.server.origin
    // A kubeconfig server like https://host/clusters/root keeps its path: requests are appended to it.
    this.#prefix = config.server.pathname.replace(/\/+$/, '')
    this.#rewritePath = opts.rewritePath
    this.#http = new JSONClient({
      ...(config.ca !== undefined ? { ca: config.ca } : {}),
      ...(config.cert !== undefined ? { cert: config.cert } : {}),
      ...(config.key !== undefined ? { key: config.key } : {}),
      ...(config.token !== undefined ? { token: config.token } : {}),
      insecureSkipTLSVerify: config.insecureSkipTLSVerify,
      userAgent: opts.userAgent ?? 'kcp-front-proxy',
      headersTimeoutMs: opts.headersTimeoutMs ?? 30_000,
      bodyTimeoutMs: opts.bodyTimeoutMs ?? 60_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      // Watches hold a connection each; keep idle ones briefly for the relist/re-watch cycle.
      keepAliveTimeoutMs: 30_000,
    })
  }

  /** The request path for an API path (server prefix + rewrite). Exposed for tests and logs. */
  resolvePath(path: string): string {
    const full = this.#prefix + path
    return this.#rewritePath ? this.#rewritePath(full) : full
  }

  async getJSON(path: string, signal?: AbortSignal): Promise<JSONResponse> {
    const url = this.#url(path)
    return retryStale(() => this.#http.send('GET', url, undefined, signal), signal)
  }

  async postJSON(path: string, body: unknown, signal?: AbortSignal): Promise<JSONResponse> {
    return this.#http.send('POST', this.#url(path), body, signal)
  }

  async watchStream(path: string, signal: AbortSignal): Promise<WatchResponse> {
    const url = this.#url(path)
    return retryStale(() => this.#http.stream(url, signal), signal)
  }

  /** Ends watches in flight too. */
  async close(): Promise<void> {
    await this.#http.destroy()
  }

  #url(path: string): URL {
    return new URL(this.resolvePath(path), this.origin)
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
