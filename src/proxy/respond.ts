// Every answer the proxy itself produces is a Kubernetes Status (src/errors.ts), as the
// apiserver writes it: JSON, nosniff, Content-Length. kubectl prints its message.
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { ProxyError, serializeStatus } from '../errors.js'
import { writeHead, type Exchange, type ProxyRequest, type ProxyResponse } from './exchange.js'

// Go's strconv.ParseBool, which the apiserver applies to `pretty`.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const PRETTY_AGENTS = ['curl', 'Wget', 'Mozilla/5.0']

/**
 * The apiserver's isPrettyPrint: `?pretty=` decides when given (ParseBool; anything else is false),
 * otherwise a human's tool (curl, Wget, a browser) gets indented JSON.
 */
export function wantsPretty(url: string, userAgent: string | undefined): boolean {
  const q = url.indexOf('?')
  if (q >= 0 && url.includes('pretty', q)) {
    const v = new URLSearchParams(url.slice(q + 1)).get('pretty')
    if (v !== null && v !== '') return TRUE.has(v)
  }
  return userAgent !== undefined && PRETTY_AGENTS.some((a) => userAgent.startsWith(a))
}

export function prettyFor(req: ProxyRequest): boolean {
  return wantsPretty(req.url ?? '', req.headers['user-agent'])
}

/** The bytes of a Status answer. */
export function statusBodyOf(err: ProxyError, pretty = false): string {
  return serializeStatus(err.toStatus(), pretty)
}

export function writeStatus(res: ProxyResponse, err: ProxyError, extraHeaders?: Record<string, string>, pretty = false): number {
  const body = statusBodyOf(err, pretty)
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  }
  // A retryable refusal says when to retry, as the apiserver's 429s do (client-go honours it).
  const retry = err.details?.retryAfterSeconds
  if (retry !== undefined) headers['retry-after'] = String(retry)
  writeHead(res, err.status, headers)
  res.end(body)
  return Buffer.byteLength(body)
}

export function writeError(ex: Exchange, err: ProxyError): void {
  if (ex.res.headersSent || ex.res.destroyed) {
    ex.res.destroy()
    return
  }
  ex.status = err.status
  ex.bytesOut += writeStatus(ex.res, err, undefined, prettyFor(ex.req))
}

// Go's htmlEscape of http.Redirect's body.
const HTML_ESCAPE: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' }

/**
 * Go's http.Redirect with 307, as upstream's mux answers an unclean path: Location, and for GET a
 * tiny HTML body (Content-Type only for GET and HEAD). The method and body are kept by the client.
 */
export function redirectAnswer(location: string, method: string): { headers: Record<string, string | number>; body: string } {
  const body = method === 'GET' ? `<a href="${location.replace(/[&<>"']/g, (c) => HTML_ESCAPE[c])}">Temporary Redirect</a>.\n\n` : ''
  const headers: Record<string, string | number> = { location, 'content-length': Buffer.byteLength(body) }
  if (method === 'GET' || method === 'HEAD') headers['content-type'] = 'text/html; charset=utf-8'
  return { headers, body }
}

export function writeRedirect(ex: Exchange, location: string): void {
  const a = redirectAnswer(location, ex.method)
  ex.status = 307
  ex.bytesOut += Buffer.byteLength(a.body)
  writeHead(ex.res, 307, a.headers)
  ex.res.end(a.body)
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

/** The same redirect as a raw HTTP/1.1 response on a not-yet-upgraded socket, then closes it. */
export function redirectRaw(socket: Duplex, location: string, method: string): void {
  const a = redirectAnswer(location, method)
  let head = 'HTTP/1.1 307 Temporary Redirect\r\n'
  for (const [k, v] of Object.entries(a.headers)) head += `${k}: ${v}\r\n`
  finish(socket, `${head}connection: close\r\n\r\n${a.body}`)
}

/** Answers a Status as a raw HTTP/1.1 response on a socket no HTTP response object owns (an upgrade, a parser error), then closes it. */
export function rejectRaw(socket: Duplex, err: ProxyError, pretty = false): void {
  const body = statusBodyOf(err, pretty)
  const retry = err.details?.retryAfterSeconds !== undefined ? `retry-after: ${err.details.retryAfterSeconds}\r\n` : ''
  finish(
    socket,
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? err.reason}\r\ncontent-type: application/json\r\nx-content-type-options: nosniff\r\n${retry}` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  )
}
