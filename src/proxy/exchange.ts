// Per-request state shared by the pipeline steps, the forwarder and the accounting that
// runs when the response closes. One object per request; listeners are module-level
// functions that find it through a symbol, so no closures are allocated per request.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { RequestTrace } from './trace-hook.js'

export type ProxyRequest = IncomingMessage | Http2ServerRequest
export type ProxyResponse = ServerResponse | Http2ServerResponse

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
