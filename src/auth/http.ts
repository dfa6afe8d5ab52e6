// The small JSON-over-HTTPS client authentication needs: OIDC discovery and JWKS, service
// account lookups and SubjectAccessReviews against the root shard. Bounded in time and size
// so a slow or hostile peer cannot hold requests or memory.
import { Agent, request } from 'undici'

export interface HttpClientOptions {
  ca?: string
  cert?: string
  key?: string
  token?: string
  insecureSkipTLSVerify?: boolean
  timeoutMs?: number
  maxBodyBytes?: number
}

export interface JSONResponse {
  status: number
  body: unknown
}

export class HttpError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'HttpError'
  }
}

export class JSONClient {
  readonly #agent: Agent
  readonly #token: string | undefined
  readonly #timeout: number
  readonly #maxBody: number

  constructor(opts: HttpClientOptions = {}) {
    this.#timeout = opts.timeoutMs ?? 10_000
    this.#maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024
    this.#token = opts.token
    this.#agent = new Agent({
      connect: {
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
        ...(opts.key !== undefined ? { key: opts.key } : {}),
        rejectUnauthorized: opts.insecureSkipTLSVerify !== true,
        timeout: this.#timeout,
      },
      headersTimeout: this.#timeout,
      bodyTimeout: this.#timeout,
      connections: 16,
    })
  }

  async send(method: 'GET' | 'POST', url: string | URL, body?: unknown): Promise<JSONResponse> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res
    try {
      res = await request(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(this.#timeout),
      })
    } catch (err) {
      // Never include the request (it may carry a token); the target URL is not a secret.
      throw new HttpError(`${method} ${String(url)}: ${(err as Error).message}`, { cause: err })
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > this.#maxBody) {
        res.body.destroy()
        throw new HttpError(`${method} ${String(url)}: response larger than ${this.#maxBody} bytes`)
      }
      chunks.push(chunk)
    }
    const text = Buffer.concat(chunks).toString('utf8')
    let parsed: unknown = undefined
    if (text !== '') {
      try {
        parsed = JSON.parse(text)
      } catch {
        if (res.statusCode < 300) throw new HttpError(`${method} ${String(url)}: response is not JSON`)
      }
    }
    return { status: res.statusCode, body: parsed }
  }

  close(): Promise<void> {
    return this.#agent.close()
  }
}
