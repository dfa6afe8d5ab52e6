// The TLS listener and the two protocol servers behind it. With HTTP/2 on, one TLS server
// accepts every connection and hands it, by ALPN, to Node's HTTP/2 server or to a real
// node:http server. Node's own HTTP/1.1 fallback (allowHTTP1) would be simpler, but it skips
// node:http's connection tracking, so a client trickling request headers was never timed out
// there; a node:http server enforces headers timeout, keep-alive idle time and header size itself.
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http'
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import type { Logger } from 'pino'
import { H2StreamRequest } from '../proxy/h2-stream.js'
import type { ListenerTLS } from './tls-contexts.js'
import { boundHttp2Session, onClientError, MAX_HEADER_BYTES, TLS_HANDSHAKE_TIMEOUT_MS, type ConnectionLimits } from './connection-limits.js'

export type AnyReq = IncomingMessage | Http2ServerRequest | H2StreamRequest
export type AnyRes = ServerResponse | Http2ServerResponse | ServerHttp2Stream

export interface ListenerOptions {
  /** Serving certificate, client-CA request, SNI and cipher settings. */
  tls: ListenerTLS
  http2: boolean
  /** SETTINGS_MAX_CONCURRENT_STREAMS. */
  maxStreams: number
  limits: ConnectionLimits
  logger: Logger
  onRequest: (req: AnyReq, res: AnyRes) => void
  /**
   * HTTP/2 requests (by their headers) that onRequest gets on Node's core stream API: an
   * H2StreamRequest and the stream as response. The rest get Http2ServerRequest/Response.
   */
  coreStream?: (headers: IncomingHttpHeaders) => boolean
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  /** Where accepted TLS connections and HTTP/2 sessions are kept while open (the shutdown module owns them). */
  connections: { sockets: Set<Socket>; sessions: Set<ServerHttp2Session> }
}

export interface Listener {
  /** The TLS server that listens (what fastify's serverFactory returns). */
  readonly server: Http2SecureServer | HttpsServer
  /** Stops the HTTP/1.1 server's connection checks (the TLS server is closed by its owner). */
  close(): void
}

/** node:http options giving upstream's bounds (Go ReadHeaderTimeout, IdleTimeout, MaxHeaderBytes). */
function http1Options(limits: ConnectionLimits): object {
  return {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: limits.headersTimeoutMs,
    // No whole-request timeout: a watch is a request. Bodies have their own deadline (body.ts).
    requestTimeout: 0,
    keepAliveTimeout: limits.idleTimeoutMs,
    // Node checks header deadlines on this interval (default 30 s, which would stretch 32 s to 62 s).
    connectionsCheckingInterval: Math.min(1000, Math.max(50, limits.headersTimeoutMs / 4)),
    // node:https sets TCP_NODELAY on accepted sockets and node:http2 does not: without it Nagle's
    // algorithm holds a small write (the next watch event) until the client ACKs the previous one.
    noDelay: true,
  }
}

export function createListener(o: ListenerOptions): Listener {
  const { sockets, sessions } = o.connections
  const clientError = onClientError(o.logger)
  const tlsOptions = { ...o.tls, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, noDelay: true }
  let server: Http2SecureServer | HttpsServer
  let closeH1 = noop
  if (o.http2) {
    const h2 = createSecureServer(
      { ...tlsOptions, allowHTTP1: true, settings: { maxConcurrentStreams: o.maxStreams, maxHeaderListSize: MAX_HEADER_BYTES }, maxSessionMemory: 64 },
      o.onRequest as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
    )
    const coreStream = o.coreStream
    if (coreStream !== undefined) {
      // The request handler made Node listen for streams with its compatibility layer: that
      // listener now serves only the streams not taken here on the core API.
      type OnStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void
      const compat = h2.listeners('stream') as OnStream[]
      if (compat.length !== 1) throw new Error(`node:http2 has ${compat.length} stream listeners, expected its compatibility layer's`)
      h2.removeAllListeners('stream')
      h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
        if (coreStream(headers)) o.onRequest(new H2StreamRequest(stream, headers, rawHeaders), stream)
        else compat[0].call(h2, stream, headers, flags, rawHeaders)
      })
    }
    const h1 = createHttp1Server(http1Options(o.limits), o.onRequest as (req: IncomingMessage, res: ServerResponse) => void)
    h1.on('upgrade', o.onUpgrade)
    h1.on('clientError', clientError)
    // node:http starts its header-deadline checks on 'listening'; this server never listens
    // itself (it is handed connections), so it is told it does. close() stops the checks.
    h1.emit('listening')
    closeH1 = () => h1.close(noop)
    // Hand each connection to the server of the protocol ALPN chose.
    const h2Connection = h2.listeners('secureConnection')[0] as (s: TLSSocket) => void
    h2.removeAllListeners('secureConnection')
    h2.on('secureConnection', (s: TLSSocket) => {
      if (s.alpnProtocol === 'h2') h2Connection.call(h2, s)
      else h1.emit('connection', s)
    })
    h2.on('session', (s: ServerHttp2Session) => {
      sessions.add(s)
      s.once('close', () => sessions.delete(s))
      boundHttp2Session(s, o.limits)
    })
    server = h2
  } else {
    const https = createHttpsServer({ ...tlsOptions, ...http1Options(o.limits) }, o.onRequest as (req: IncomingMessage, res: ServerResponse) => void)
    https.on('upgrade', o.onUpgrade)
    https.on('clientError', clientError)
    server = https
  }
  server.on('secureConnection', (s: TLSSocket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  server.on('tlsClientError', (err: Error) => o.logger.debug({ err }, 'TLS handshake with a client failed'))
  return { server, close: () => closeH1() }
}

function noop(): void {
  // Nothing to stop: the HTTP/1.1-only server is the listening server itself.
}

