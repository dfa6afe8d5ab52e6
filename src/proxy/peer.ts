// The client's certificate chain as X509Certificate objects, parsed once per TLS
// connection (HTTP/2 multiplexes many requests over one), never per request.
import { X509Certificate } from 'node:crypto'
import type { TLSSocket, DetailedPeerCertificate } from 'node:tls'
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
