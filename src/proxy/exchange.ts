// Per-request state shared by the pipeline steps, the forwarder and the accounting that
// runs when the response closes. One object per request; listeners are module-level
// functions that find it through a symbol, so no closures are allocated per request.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from 'node:http2'
import type { H2StreamRequest } from './h2-stream.js'
import type { RequestTrace } from './trace-hook.js'

/** HTTP/1.1, HTTP/2 through Node's compatibility API, or HTTP/2 on its core stream API (h2-stream.ts). */
export type ProxyRequest = IncomingMessage | Http2ServerRequest | H2StreamRequest
/** A core-API request's response is its stream (answered with writeHead() below). */
export type ProxyResponse = ServerResponse | Http2ServerResponse | ServerHttp2Stream

/** Whether `res` is an HTTP/2 stream answered on the core API. */
export function isCoreStream(res: ProxyResponse): res is ServerHttp2Stream {
  return (res as { respond?: unknown }).respond !== undefined
}

/**
 * Whether the response closed before the proxy ended it (the client reset or left). Not
 * writableFinished: after an HTTP/2 reset Node 20 reports a compatibility response as finished
 * although it was never ended; and a core stream's writable side is ended by the reset itself,
 * which Node marks as `aborted`.
 */
export function closedUnended(res: ProxyResponse): boolean {
  return !res.writableEnded || (isCoreStream(res) && res.aborted)
}

/** Sends the status and headers (`headers` is taken over: a core stream's gets `:status` added). */
export function writeHead(res: ProxyResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  if (isCoreStream(res)) {
    headers[':status'] = status
    res.respond(headers)
  } else res.writeHead(status, headers)
}

export interface Exchange {
  readonly req: ProxyRequest
  readonly res: ProxyResponse
  /** process.hrtime.bigint() at arrival. */
  readonly start: bigint
  readonly method: string
  /** Path as received (no query), for logs. */
  path: string
  shard: string
  cluster: string
  user: string
  /** Response status sent (0 until headers are written). */
  status: number
  bytesIn: number
  bytesOut: number
  /** A watch or other long-running stream: no drain wait on shutdown, ended cleanly instead. */
  longRunning: boolean
  /** Set once the response finished or was aborted; later events are ignored. */
  done: boolean
  /** The request at the shard, once the forwarder sent it; cancel() stops it. */
  upstream: Upstream | undefined
  /** Error message for the log line. */
  error: string | undefined
  /** The HTTP/2 session the request came on (Node forgets it once the stream closes); undefined for HTTP/1.1. */
  readonly session: object | undefined
  /** The request's trace when tracing is on and it is sampled (trace-hook.ts). */
  trace: RequestTrace | undefined
}

export interface Upstream {
  /**
   * Stops the request at the shard. `clientGone`: nobody will read the answer, so a short request
   * may be left to finish (and its answer discarded) to keep the shard connection; otherwise it
   * is cut at once (shutdown, a body past its deadline).
   */
  cancel(clientGone: boolean): void
}

export const kExchange = Symbol('kcp-front-proxy.exchange')

export function newExchange(req: ProxyRequest, res: ProxyResponse): Exchange {
  return {
    req, res, start: process.hrtime.bigint(), method: req.method ?? 'GET', path: '', shard: '', cluster: '', user: '',
    status: 0, bytesIn: 0, bytesOut: 0, longRunning: false, done: false, upstream: undefined, error: undefined,
    session: (req as { stream?: { session?: object } }).stream?.session, trace: undefined,
  }
}

export function exchangeOf(res: ProxyResponse): Exchange | undefined {
  return (res as unknown as { [kExchange]?: Exchange })[kExchange]
}

export function attachExchange(ex: Exchange): void {
  ;(ex.res as unknown as { [kExchange]?: Exchange })[kExchange] = ex
}

/** Watches and other streams the apiserver treats as long-running. */
export function isLongRunning(path: string, query: string): boolean {
  if (query !== '' && (query.includes('watch=true') || query.includes('watch=1') || query.includes('follow=true'))) return true
  return path.includes('/watch/')
}
