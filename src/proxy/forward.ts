// Streaming forwarder on undici's dispatcher API. We bypass @fastify/reply-from here:
// it buffers nothing either, but it builds a fastify Reply, a header copy and a stream
// wrapper per request; dispatching straight into the Node response with backpressure
// is measurably cheaper (docs/proxy.md has the numbers). Each chunk is written as it
// arrives, so watch events are never held back.
import type { ServerResponse } from 'node:http'
import { errors, type Dispatcher } from 'undici'
import type { HeaderObject } from '../auth/headers.js'
import { ProxyError } from '../errors.js'
import type { Body } from './body.js'
import { writeHead, type Exchange, type Upstream } from './exchange.js'
import { responseHeaders } from './headers.js'
import type { ProxyMetrics } from './metrics.js'
import { recordUpstreamError } from './tls-errors.js'
import { writeError } from './respond.js'

type Controller = Dispatcher.DispatchController
function uncork(res: ServerResponse): void {
  res.uncork()
}
type Writable = { write(chunk: Buffer): boolean }

/**
 * A short HTTP/1.1 request whose client went away is left to finish, its answer read and dropped,
 * up to this many bytes and this long: cancelling it would cost the connection (HTTP/1.1 cannot
 * cancel a request any other way) and a new TLS handshake for the next request, which is what a
 * client resetting its requests by the thousand (HTTP/2 rapid reset) would make us pay.
 */
export const DRAIN_BYTES = 256 * 1024
export const DRAIN_MS = 5_000

/** Module-level (not a closure) so the drain timer allocates nothing per request. */
function cut(h: ForwardHandler): void {
  h.cut()
}

/** Where one request goes. */
export interface Route {
  readonly dispatcher: Dispatcher
  /** Passed to undici so it never takes the TLS server name from the Host header (backends.ts). */
  readonly servername: string
  /** Told once, when undici is done with the request, so a gated connection goes back to its shard's set. */
  readonly owner?: { release(dispatcher: Dispatcher): void }
  /** The request has an HTTP/1.1 connection of its own: a client gone → drain it rather than cut it. */
  readonly drainable: boolean
}

/**
 * undici's dispatch handler (the controller API): the controller onRequestStart receives, and
 * every later callback too, pauses, resumes and aborts the request.
 */
class ForwardHandler implements Dispatcher.DispatchHandler, Upstream {
  readonly ex: Exchange
  readonly metrics: ProxyMetrics
  readonly route: Route
  /** A body sent whole: counted when the request gets its connection (a streamed one counts itself, body.ts). */
  readonly #wholeBodyBytes: number
  #controller: Controller | undefined
  /** Made on the first backpressure only, so a request that never waits for its client allocates nothing. */
  #resume: (() => void) | undefined
  #finished = false
  #drained = -1
  #drainTimer: NodeJS.Timeout | undefined

  constructor(ex: Exchange, metrics: ProxyMetrics, route: Route, wholeBodyBytes: number) {
    this.ex = ex
    this.metrics = metrics
    this.route = route
    this.#wholeBodyBytes = wholeBodyBytes
  }

  /** undici may call it again, with a new controller, when it retries a pipelined request on another connection. */
  onRequestStart(controller: Controller): void {
    this.#controller = controller
    this.ex.upstream = this
    // The client left while the request waited for its connection. Dropping it here is not free:
    // abort() destroys the connection, and a throw leaves undici's pool counting it busy (it never
    // emits 'drain' for it) so the pool opens others. It is sent and its answer drained instead.
    if (this.ex.done) this.cancel(true)
    // undici writes a whole body on the connection straight after this callback, unless aborted.
    if (!controller.aborted) this.ex.bytesIn += this.#wholeBodyBytes
  }

  /** Aborts the request at the shard (undici then reports it to onResponseError). Idempotent. */
  cut(): void {
    this.#controller?.abort(new errors.RequestAbortedError())
  }

  cancel(clientGone: boolean): void {
    if (this.#finished || this.#drained >= 0) return
    // Only the bounded HTTP/1.1 pool pays a connection for a cancel; HTTP/2 resets the stream.
    if (!clientGone || this.ex.longRunning || !this.route.drainable) return cut(this)
    this.#drained = 0
    this.#drainTimer = setTimeout(cut, DRAIN_MS, this)
    this.#drainTimer.unref()
    this.#controller?.resume()
  }

  /** The connection is free again (or gone): the shard's next waiter may have it. Exactly once. */
  #finish(): void {
    if (this.#finished) return
    this.#finished = true
    clearTimeout(this.#drainTimer)
    const r = this.route
    r.owner?.release(r.dispatcher)
  }

  // The parsed headers are not used: responseHeaders() works on the raw list, which keeps
  // repeated fields apart and drops the hop-by-hop ones the Connection header names.
  onResponseStart(controller: Controller, statusCode: number): void {
    const res = this.ex.res
    if (this.#drained >= 0) return
    if (this.ex.done || res.destroyed) {
      cut(this)
      controller.pause()
      return
    }
    this.ex.status = statusCode
    writeHead(res, statusCode, responseHeaders(controller.rawHeaders as readonly (Buffer | string)[]))
    if (this.ex.longRunning) {
      // Watches: push the headers out now, before the first event (client-go times the first bytes).
      ;(res as { flushHeaders?: () => void }).flushHeaders?.()
    } else if (this.ex.req.httpVersionMajor === 1) {
      // A small answer usually arrives as headers, body and end in one tick: cork until the
      // tick ends so they leave as one TLS record and one syscall instead of two or three.
      ;(res as ServerResponse).cork()
      process.nextTick(uncork, res)
    }
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    const ex = this.ex
    if (this.#drained >= 0) {
      this.#drained += chunk.length
      if (this.#drained <= DRAIN_BYTES) return
      cut(this)
      controller.pause()
      return
    }
    // Ended by us (shutdown ends watches cleanly): drop what is still in flight, read no more.
    if (ex.res.writableEnded) {
      controller.pause()
      return
    }
    ex.bytesOut += chunk.length
    if ((ex.res as Writable).write(chunk)) return
    // Backpressure: undici pauses the socket until the client has drained what we wrote.
    controller.pause()
    ex.res.once('drain', (this.#resume ??= () => this.#controller?.resume()))
  }

  onResponseEnd(): void {
    this.#finish()
    if (!this.ex.done && !this.ex.res.writableEnded) this.ex.res.end()
  }

  /** `_controller` is undefined when the dispatch failed before the request had a connection. */
  onResponseError(_controller: Controller | undefined, err: Error): void {
    this.#finish()
    const ex = this.ex
    if (ex.done || ex.res.destroyed || ex.res.writableEnded) return
    recordUpstreamError(this.metrics, ex.shard, err)
    ex.error = `${(err as { code?: string }).code ?? err.name}: ${err.message}`
    if (ex.res.headersSent) {
      // Mid-body failure: the client must see a broken stream, not a clean end (Go: ErrAbortHandler).
      ex.res.destroy(err)
      return
    }
    writeError(ex, new ProxyError('FP_BAD_GATEWAY', `error trying to reach the backend: ${(err as { code?: string }).code ?? err.message}`))
  }
}

/** Sends the request along `route` and streams the answer into ex.res. */
export function forward(ex: Exchange, route: Route, path: string, headers: HeaderObject, body: Body, metrics: ProxyMetrics): void {
  const handler = new ForwardHandler(ex, metrics, route, Buffer.isBuffer(body) ? body.length : 0)
  // servername is a dispatch option undici reads (core/request.js) but does not declare.
  const opts = {
    path,
    method: ex.method,
    headers: headers as Record<string, string | string[]>,
    // undici streams an async iterable body like a Readable; its types only list the latter.
    body: body as Buffer | null,
    servername: route.servername,
  }
  try {
    route.dispatcher.dispatch(opts, handler)
  } catch (e) {
    handler.onResponseError(undefined, e as Error)
  }
}
