// HTTP/2 requests on Node's core stream API ('stream' event, stream.respond()) instead of its
// compatibility layer. Why: Http2ServerRequest/Response are a Readable and a Stream with
// listeners of their own on every stream; a bare server pays 1.39× the core API's CPU per
// request for them (bench/h2-server.bench.ts, ~30 µs on the benchmark VM). Here the request is a
// plain object over the stream's headers and the response is the stream itself, answered with
// writeHead() in exchange.ts. Only plain requests come this way (plainStream()); the rest keep the
// compatibility objects, whose behaviour for them (HEAD, CONNECT, Expect, CORS) the proxy relies on.
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import type { TLSSocket } from 'node:tls'

/** The pipeline's view of an HTTP/2 request on the core API (the fields it reads of Http2ServerRequest). */
export class H2StreamRequest {
  readonly httpVersionMajor = 2
  readonly httpVersion = '2.0'
  readonly method: string
  readonly url: string
  /** The connection's TLS socket (remote address, client certificate); undefined once the session is gone. */
  readonly socket: TLSSocket | undefined
  readonly stream: ServerHttp2Stream
  /** With pseudo-headers, as Http2ServerRequest's. */
  readonly headers: IncomingHttpHeaders
  readonly rawHeaders: string[]

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]) {
    this.stream = stream
    this.headers = headers
    this.rawHeaders = rawHeaders
    this.method = headers[':method'] ?? 'GET'
    this.url = headers[':path'] ?? '/'
    this.socket = stream.session?.socket as TLSSocket | undefined
    // Without a listener a stream error (a client's RST_STREAM with an error code) would be
    // thrown; the response's 'close' is what the pipeline acts on, as with the compatibility API.
    stream.on('error', ignore)
  }

  // The request body is the stream's readable side.
  on(event: 'data' | 'end', listener: (...args: never[]) => void): this {
    this.stream.on(event, listener as (...args: unknown[]) => void)
    return this
  }

  off(event: 'data' | 'end', listener: (...args: never[]) => void): this {
    this.stream.off(event, listener as (...args: unknown[]) => void)
    return this
  }

  pause(): this {
    this.stream.pause()
    return this
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  }
}

/**
 * Whether a request may take the core path: not HEAD (the core API ends the stream with the
 * headers, and the compatibility layer drops what is written after), CONNECT, Expect (the
 * compatibility layer answers 100-continue and 417), nor a browser's request with Origin (CORS
 * adds headers to the response before it is written).
 */
export function plainStream(headers: IncomingHttpHeaders): boolean {
  const m = headers[':method']
  return m !== 'HEAD' && m !== 'CONNECT' && headers.expect === undefined && headers.origin === undefined
}

function ignore(): void {
  // Handled through 'close' (see the constructor).
}
