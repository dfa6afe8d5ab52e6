// Every answer the proxy itself produces is a Kubernetes Status (src/errors.ts), as the
// apiserver writes it: JSON, nosniff, Content-Length. kubectl prints its message.
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { ProxyError } from '../errors.js'
import type { Exchange, ProxyResponse } from './exchange.js'

/** The bytes of a Status answer. */
export function statusBodyOf(err: ProxyError): string {
  return JSON.stringify(err.toStatus())
}

export function writeStatus(res: ProxyResponse, err: ProxyError, extraHeaders?: Record<string, string>): number {
  const body = statusBodyOf(err)
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  }
  // A retryable refusal says when to retry, as the apiserver's 429s do (client-go honours it).
  const retry = err.details?.retryAfterSeconds
  if (retry !== undefined) headers['retry-after'] = String(retry)
  res.writeHead(err.status, headers)
  res.end(body)
  return Buffer.byteLength(body)
}

export function writeError(ex: Exchange, err: ProxyError): void {
  if (ex.res.headersSent || ex.res.destroyed) {
    ex.res.destroy()
    return
  }
  ex.status = err.status
  ex.bytesOut += writeStatus(ex.res, err)
}

/** After our last byte to a client we are done with, how long it may take to close before we cut it. */
export const CLOSE_LINGER_MS = 5_000

function discard(): void {
  // Bytes a client sends on a connection we are closing go nowhere.
}

/**
 * Ends a raw connection we are done with: writes `last`, discards whatever the client still sends
 * (unread bytes would make the kernel answer with a reset that can eat our answer), and cuts the
 * connection if the client has not closed it within CLOSE_LINGER_MS.
 */
export function finish(socket: Duplex, last?: string): void {
  if (socket.destroyed) return
  socket.on('data', discard)
  socket.resume()
  socket.end(last)
  setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref()
}

/** Answers a Status as a raw HTTP/1.1 response on a socket no HTTP response object owns (an upgrade, a parser error), then closes it. */
export function rejectRaw(socket: Duplex, err: ProxyError): void {
  const body = statusBodyOf(err)
  const retry = err.details?.retryAfterSeconds !== undefined ? `retry-after: ${err.details.retryAfterSeconds}\r\n` : ''
  finish(
    socket,
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? err.reason}\r\ncontent-type: application/json\r\nx-content-type-options: nosniff\r\n${retry}` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  )
}
