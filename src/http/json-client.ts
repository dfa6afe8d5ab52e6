// The one HTTP client for JSON APIs: the shards' Kubernetes API (src/kube) and the peers
// authentication asks (OIDC discovery and JWKS, service-account lookups and SubjectAccessReviews
// against the root shard). One undici Agent (a keep-alive pool per origin) with the caller's TLS
// material; bounded in time and, where the caller asks, in size. Errors name the method and URL,
// never a header (the request may carry a token).
import { Agent, type Dispatcher } from 'undici'

export interface JSONResponse {
  status: number
  /** Parsed JSON; the raw text when the body is not JSON (a proxy's error page); undefined when empty. */
  body: unknown
}

export type StreamResponse =
  | { status: 200; stream: AsyncIterable<Uint8Array> }
  /** Non-200 answers are read completely (a Kubernetes Status, usually). */
  | { status: number; body: unknown }

export interface JSONClientOptions {
  /** PEM roots to verify the server with (default: Node's). */
  ca?: string
  /** PEM client certificate and key. */
  cert?: string
  key?: string
  /** Sent as `Authorization: Bearer`. */
  token?: string
  insecureSkipTLSVerify?: boolean
  userAgent?: string
  /** Every timeout below at once, for peers that must answer promptly. */
  timeoutMs?: number
  /** Connect (and TLS handshake) timeout, default 10 s. */
  connectTimeoutMs?: number
  /** Time to wait for response headers, default 30 s (also for streams: the server flushes headers at once). */
  headersTimeoutMs?: number
  /** Longest silence between body chunks, default 60 s. Streams have none: a watch may legitimately stay silent. */
  bodyTimeoutMs?: number
  /** Deadline for a whole request, headers and body; default none. */
  requestTimeoutMs?: number
  /** Largest body read; a larger one is an HttpError. Default: unbounded (a list can be large). */
  maxBodyBytes?: number
  /** Connections per origin; default unbounded. */
  connections?: number
  /** How long an idle connection is kept, default undici's 4 s. */
  keepAliveTimeoutMs?: number
  /** A 2xx answer that is not JSON is an HttpError (for documents a caller must read); default: handed back as text. */
  requireJSON?: boolean
}

export class HttpError extends Error {
  /** The transport error's code (ECONNRESET, UND_ERR_SOCKET, …), when there was one. */
  readonly code: string | undefined

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'HttpError'
    this.code = (options?.cause as { code?: unknown } | undefined)?.code as string | undefined
  }
}

type Method = 'GET' | 'POST'

export class JSONClient {
  readonly #agent: Agent
  readonly #headers: Record<string, string>
  readonly #headersTimeout: number
  readonly #bodyTimeout: number
  readonly #requestTimeout: number | undefined
  readonly #maxBody: number
  readonly #requireJSON: boolean

  constructor(opts: JSONClientOptions = {}) {
    const t = opts.timeoutMs
    this.#headersTimeout = opts.headersTimeoutMs ?? t ?? 30_000
    this.#bodyTimeout = opts.bodyTimeoutMs ?? t ?? 60_000
    this.#requestTimeout = opts.requestTimeoutMs ?? t
    this.#maxBody = opts.maxBodyBytes ?? Infinity
    this.#requireJSON = opts.requireJSON === true
    this.#headers = { accept: 'application/json' }
    if (opts.userAgent !== undefined) this.#headers['user-agent'] = opts.userAgent
    if (opts.token !== undefined) this.#headers.authorization = `Bearer ${opts.token}`
    this.#agent = new Agent({
      connect: {
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
        ...(opts.key !== undefined ? { key: opts.key } : {}),
        rejectUnauthorized: opts.insecureSkipTLSVerify !== true,
        timeout: opts.connectTimeoutMs ?? t ?? 10_000,
      },
      ...(opts.connections !== undefined ? { connections: opts.connections } : {}),
      ...(opts.keepAliveTimeoutMs !== undefined ? { keepAliveTimeout: opts.keepAliveTimeoutMs } : {}),
    })
  }

  /** One request with an optional JSON body; the answer read completely. */
  async send(method: Method, url: string | URL, body?: unknown, signal?: AbortSignal): Promise<JSONResponse> {
    const res = await this.#request(method, url, body, signal, this.#bodyTimeout)
    return { status: res.statusCode, body: await this.#read(method, url, res) }
  }

  /** A GET whose 200 body is handed over as a stream, without a body timeout (a watch). */
  async stream(url: string | URL, signal: AbortSignal): Promise<StreamResponse> {
    const res = await this.#request('GET', url, undefined, signal, 0)
    if (res.statusCode === 200) return { status: 200, stream: res.body }
    return { status: res.statusCode, body: await this.#read('GET', url, res) }
  }

  /** Lets requests in flight finish, then closes the connections. */
  close(): Promise<void> {
    return this.#agent.close()
  }

  /** Ends requests in flight (streams included) and closes the connections. */
  destroy(): Promise<void> {
    return this.#agent.destroy()
  }

  async #request(method: Method, url: string | URL, body: unknown, signal: AbortSignal | undefined, bodyTimeout: number): Promise<Dispatcher.ResponseData> {
    const u = typeof url === 'string' ? new URL(url) : url
    const deadline = this.#requestTimeout !== undefined ? AbortSignal.timeout(this.#requestTimeout) : undefined
    try {
      return await this.#agent.request({
        origin: u.origin,
        path: u.pathname + u.search,
        method,
        headers: body === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal !== undefined && deadline !== undefined ? AbortSignal.any([signal, deadline]) : (signal ?? deadline),
        headersTimeout: this.#headersTimeout,
        bodyTimeout,
      })
    } catch (err) {
      throw new HttpError(`${method} ${u.href}: ${(err as Error).message}`, { cause: err })
    }
  }

  async #read(method: Method, url: string | URL, res: Dispatcher.ResponseData): Promise<unknown> {
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size > this.#maxBody) {
          res.body.destroy()
          throw new HttpError(`${method} ${String(url)}: response larger than ${this.#maxBody} bytes`)
        }
        chunks.push(chunk)
      }
    } catch (err) {
      if (err instanceof HttpError) throw err
      throw new HttpError(`${method} ${String(url)}: ${(err as Error).message}`, { cause: err })
    }
    const text = Buffer.concat(chunks).toString('utf8')
    if (text === '') return undefined
    try {
      return JSON.parse(text) as unknown
    } catch {
      if (this.#requireJSON && res.statusCode >= 200 && res.statusCode < 300) throw new HttpError(`${method} ${String(url)}: response is not JSON`)
      return text
    }
  }
}
