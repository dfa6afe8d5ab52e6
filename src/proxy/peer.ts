// The client's certificate chain as X509Certificate objects, parsed once per TLS
// connection (HTTP/2 multiplexes many requests over one), never per request.
import { X509Certificate } from 'node:crypto'
import type { TLSSocket, DetailedPeerCertificate } from 'node:tls'
import type { AuthRequest, BearerKey } from '../auth/types.js'
import type { ProxyRequest } from './exchange.js'

const cache = new WeakMap<object, X509Certificate[]>()
const NONE: X509Certificate[] = []

function tlsSocketOf(req: ProxyRequest): TLSSocket | undefined {
  const stream = (req as { stream?: { session?: { socket?: unknown } } }).stream
  const s = stream?.session?.socket ?? req.socket
  return s !== undefined && typeof (s as TLSSocket).getPeerCertificate === 'function' ? (s as TLSSocket) : undefined
}

export function peerCertificates(req: ProxyRequest): X509Certificate[] {
  const sock = tlsSocketOf(req)
  if (sock === undefined) return NONE
  const hit = cache.get(sock)
  if (hit !== undefined) return hit
  const chain: X509Certificate[] = []
  let c: DetailedPeerCertificate | undefined = sock.getPeerCertificate(true)
  const seen = new Set<DetailedPeerCertificate>()
  // Bounded: a chain longer than 10 is not a chain anyone verifies.
  while (c !== undefined && c.raw !== undefined && !seen.has(c) && chain.length < 10) {
    seen.add(c)
    chain.push(new X509Certificate(c.raw))
    c = c.issuerCertificate
  }
  const out = chain.length === 0 ? NONE : chain
  cache.set(sock, out)
  return out
}

/**
 * Every value of every header, unjoined. Node joins repeated headers with ", ", which would
 * turn two X-Remote-Group values into one group for requestheader authentication.
 * HTTP/1.1 requests have it built in; HTTP/2 requests are rebuilt from their raw headers.
 */
export function distinctHeaders(req: ProxyRequest): Record<string, string[] | undefined> {
  const own = (req as { headersDistinct?: Record<string, string[] | undefined> }).headersDistinct
  if (own !== undefined) return own
  const out: Record<string, string[] | undefined> = {}
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    if (name.startsWith(':')) continue
    ;(out[name] ??= []).push(raw[i + 1])
  }
  return out
}

/**
 * What the authenticators see of a request. The unjoined headers are built only when read:
 * only requestheader authentication reads them, and building them cost every authenticated
 * request a copy of all its headers.
 */
export function authRequestOf(req: ProxyRequest, peerCerts: X509Certificate[]): AuthRequest {
  return new LazyAuthRequest(req, peerCerts)
}

// A class, not an object literal with a getter: V8 builds such literals on a slow path, which
// showed up at ~1.5 µs per authenticated request.
class LazyAuthRequest implements AuthRequest {
  readonly headers: ProxyRequest['headers']
  readonly peerCertificates: X509Certificate[]
  readonly #req: ProxyRequest
  #distinct: Record<string, string[] | undefined> | undefined
  bearer: BearerKey | undefined = undefined

  constructor(req: ProxyRequest, peerCerts: X509Certificate[]) {
    this.headers = req.headers
    this.peerCertificates = peerCerts
    this.#req = req
  }

  get headersDistinct(): Record<string, string[] | undefined> {
    return (this.#distinct ??= distinctHeaders(this.#req))
  }
}
