// Streaming forwarder on undici's dispatcher API. We bypass @fastify/reply-from here:
// it buffers nothing either, but it builds a fastify Reply, a header copy and a stream
// wrapper per request; dispatching straight into the Node response with backpressure
// is measurably cheaper (docs/proxy.md has the numbers). Each chunk is written as it
// arrives, so watch events are never held back.
import type { ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { HeaderObject } from '../auth/headers.js'
import { ProxyError } from '../errors.js'
import type { Exchange } from './exchange.js'
import { responseHeaders } from './headers.js'
import type { ProxyMetrics } from './metrics.js'
import { tlsErrorType } from './tls-errors.js'
import { writeError } from './respond.js'

type Resume = () => void
const noop = (): void => undefined
function uncork(res: ServerResponse): void {
  res.uncork()
}
type Writable = { write(chunk: Buffer): boolean }

function hasBody(ex: Exchange): boolean {
  const h = ex.req.headers
  const cl = h['content-length']
  if (cl !== undefined) return cl !== '0'
  if (h['transfer-encoding'] !== undefined) return true
  // HTTP/2: a body is present unless the HEADERS frame ended the stream.
  const stream = (ex.req as { stream?: { endAfterHeaders?: boolean } }).stream
  return stream !== undefined && stream.endAfterHeaders === false
}

function upstreamErrorKind(err: Error): string {
  if (tlsErrorType(err) !== undefined) return 'tls'
  const code = (err as { code?: string }).code ?? ''
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return 'connect'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset'
  return 'other'
}

/** Legacy (v6-style) undici handler: the core calls it directly, with raw header buffers. */
class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly ex: Exchange
  readonly metrics: ProxyMetrics
  resume: Resume | undefined
  upstreamAbort: ((err?: Error) => void) | undefined

  constructor(ex: Exchange, metrics: ProxyMetrics) {
    this.ex = ex
    this.metrics = metrics
  }

  onConnect(abort: (err?: Error) => void): void {
    this.upstreamAbort = abort
    this.ex.abort = abort
    if (this.ex.done) abort()
  }

  // undici's core passes the chunk (its d.ts says a size): accept both.
  onBodySent(chunk: unknown): void {
    this.ex.bytesIn += typeof chunk === 'number' ? chunk : typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).byteLength
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: Resume): boolean {
    const res = this.ex.res
    if (this.ex.done || res.destroyed) return false
    this.resume = resume
    this.ex.status = statusCode
    res.writeHead(statusCode, responseHeaders(raw))
    if (this.ex.longRunning) {
      // Watches: push the headers out now, before the first event (client-go times the first bytes).
      ;(res as { flushHeaders?: () => void }).flushHeaders?.()
    } else if (this.ex.req.httpVersionMajor === 1) {
      // A small answer usually arrives as headers, body and end in one tick: cork until the
      // tick ends so they leave as one TLS record and one syscall instead of two or three.
      ;(res as ServerResponse).cork()
      process.nextTick(uncork, res)
    }
    return true
  }

  onData(chunk: Buffer): boolean {
    const ex = this.ex
    // Ended by us (shutdown ends watches cleanly): drop what is still in flight.
    if (ex.res.writableEnded) return false
    ex.bytesOut += chunk.length
    const ok = (ex.res as Writable).write(chunk)
    // Backpressure: undici pauses the socket until the client has drained what we wrote.
    if (!ok) ex.res.once('drain', this.resume ?? noop)
    return ok
  }


  onComplete(): void {
    if (!this.ex.done && !this.ex.res.writableEnded) this.ex.res.end()
  }

  onError(err: Error): void {
    const ex = this.ex
    if (ex.done || ex.res.destroyed || ex.res.writableEnded) return
    const tlsType = tlsErrorType(err)
    if (tlsType !== undefined) this.metrics.tlsError(ex.shard, tlsType)
    this.metrics.upstreamError(ex.shard, upstreamErrorKind(err))
    ex.error = `${(err as { code?: string }).code ?? err.name}: ${err.message}`
    if (ex.res.headersSent) {
      // Mid-body failure: the client must see a broken stream, not a clean end (Go: ErrAbortHandler).
      ex.res.destroy(err)
      return
    }
    writeError(ex, new ProxyError('FP_BAD_GATEWAY', `error trying to reach the backend: ${(err as { code?: string }).code ?? err.message}`))
  }
}

/** Sends the request to `dispatcher` and streams the answer into ex.res. */
export function forward(ex: Exchange, dispatcher: Dispatcher, path: string, headers: HeaderObject, metrics: ProxyMetrics): void {
  const handler = new ForwardHandler(ex, metrics)
  dispatcher.dispatch(
    {
      path,
      method: ex.method,
      headers: headers as Record<string, string | string[]>,
      body: hasBody(ex) ? ex.req : null,
    },
    handler,
  )
}
