// Bounds on client connections, the same for HTTP/1.1 and HTTP/2 (upstream's Go server values,
// k8s SecureServingInfo): a client gets 32 s to send its first request's headers, an idle
// connection is closed after 90 s, headers may total 1 MiB. A connection that has a request in
// flight (a watch may be silent for minutes) is never idle. What the parser refuses is answered
// as a Kubernetes Status, like every other answer of ours.
import type { ServerHttp2Session } from 'node:http2'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { ProxyError } from '../errors.js'
import { rejectRaw } from '../proxy/respond.js'

export interface ConnectionLimits {
  /** Go ReadHeaderTimeout: a request's line and headers (HTTP/2: a session's first request) must arrive within this. */
  headersTimeoutMs: number
  /** Go IdleTimeout: a connection with nothing in flight is closed after this. */
  idleTimeoutMs: number
}

/** Upstream's values; createFrontProxy({ connectionLimits }) may shorten them (test harnesses). */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = { headersTimeoutMs: 32_000, idleTimeoutMs: 90_000 }
/** Go MaxHeaderBytes. */
export const MAX_HEADER_BYTES = 1 << 20
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000

/**
 * HTTP/2: Node bounds neither a session that never completes a request (only the preface, or
 * HEADERS without END_HEADERS) nor an idle one. Until the first stream opens the session gets
 * headersTimeoutMs, then idleTimeoutMs of silence with no stream open.
 */
export function boundHttp2Session(session: ServerHttp2Session, limits: ConnectionLimits): void {
  let open = 0
  let started = false
  session.setTimeout(limits.headersTimeoutMs)
  session.on('stream', (stream: Duplex) => {
    open++
    if (!started) {
      started = true
      session.setTimeout(limits.idleTimeoutMs)
    }
    stream.once('close', () => open--)
  })
  session.on('timeout', () => {
    // Silence with a stream open is a quiet watch, not an idle connection.
    if (open > 0) return
    session.close()
    // A peer that never acknowledges the GOAWAY does not keep the socket.
    setTimeout(() => session.destroy(), 1000).unref()
  })
}

/** RFC 9110 method token followed by a space: a request line whose only fault is an unknown method. */
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ /

/** The Status for what Node's HTTP/1.1 parser refused (`rawPacket`: the bytes it choked on). */
export function clientErrorStatus(err: { code?: string; rawPacket?: Buffer }): ProxyError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ProxyError('FP_REQUEST_TIMEOUT', 'the request headers were not received in time')
    case 'HPE_HEADER_OVERFLOW':
      return new ProxyError('FP_HEADERS_TOO_LARGE', `request headers larger than ${MAX_HEADER_BYTES} bytes`)
    case 'HPE_INVALID_METHOD':
      // Upstream forwards any method token and the shard answers 405; Node's parser knows a fixed
      // list. Bytes that are not a method at all are a bad request, as in Go.
      if (err.rawPacket !== undefined && METHOD_TOKEN.test(err.rawPacket.subarray(0, 64).toString('latin1'))) return new ProxyError('FP_METHOD_NOT_ALLOWED')
      return new ProxyError('FP_BAD_REQUEST', 'malformed HTTP request')
    default:
      return new ProxyError('FP_BAD_REQUEST', 'malformed HTTP request')
  }
}

/** server.on('clientError'): Node's default writes a bare 400; ours is a Status with the right code. */
export function onClientError(logger: Logger): (err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    // A parse error means a peer that does not speak HTTP, or an attack: debug, not a warning.
    logger.debug({ code: err.code }, 'refused a malformed request')
    if (!socket.writable) {
      socket.destroy()
      return
    }
    rejectRaw(socket, clientErrorStatus(err))
  }
}
