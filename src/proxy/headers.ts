// Header handling of a correct reverse proxy (RFC 9110 §7.6.1, Go httputil.ReverseProxy):
// hop-by-hop headers describe one connection and must not be forwarded, including any
// header the sender listed in `Connection`. HTTP/2 pseudo-headers become Host/path.
import type { HeaderObject } from '../auth/headers.js'

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
  // undici refuses `expect`; Node's server already answered any 100-continue.
  'expect',
  // HTTP/2 only: must not be sent on HTTP/1.1.
  'http2-settings',
])

function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  // Nearly every request and response says just one of these: no split, no Set.
  if (value === undefined || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive' || value === 'Close') return undefined
  const v = Array.isArray(value) ? value.join(',') : value
  let out: Set<string> | undefined
  for (const t of v.split(',')) {
    const n = t.trim().toLowerCase()
    if (n !== '' && n !== 'close' && n !== 'keep-alive') (out ??= new Set()).add(n)
  }
  return out
}

/**
 * Copies the client's request headers for the backend from the raw (name, value) list, so a
 * header the client repeated (Impersonate-Group, Impersonate-Extra-*, Accept) reaches the shard
 * as the same separate fields, as Go's ReverseProxy forwards them; Node's joined `headers` would
 * turn two groups into one. Drops hop-by-hop and Connection-listed headers and pseudo-headers,
 * keeps the client's Host (HTTP/2: `:authority`; as upstream, whose Director leaves req.Host),
 * joins HTTP/2 cookie fields with "; " (RFC 9113 §8.2.3) and appends the client address to
 * X-Forwarded-For. Names are lowercased.
 */
export function forwardRequestHeaders(raw: readonly string[], remoteAddress: string | undefined): HeaderObject {
  const out: HeaderObject = {}
  let connection: string | undefined
  let authority: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    const value = raw[i + 1]
    if (name.charCodeAt(0) === 58 /* : */) {
      if (name === ':authority') authority = value
      continue
    }
    if (name === 'connection') {
      connection = connection === undefined ? value : `${connection},${value}`
      continue
    }
    if (HOP_BY_HOP.has(name)) continue
    const prev = out[name]
    if (prev === undefined) out[name] = value
    else if (name === 'cookie') out[name] = `${prev as string}; ${value}`
    // A repeated Host keeps the first, as Node's joined headers and the router do.
    else if (name === 'host') continue
    else if (Array.isArray(prev)) prev.push(value)
    else out[name] = [prev, value]
  }
  const listed = connectionListed(connection)
  if (listed !== undefined) for (const n of listed) delete out[n]
  if (out.host === undefined && authority !== undefined) out.host = authority
  if (remoteAddress !== undefined) {
    const prior = out['x-forwarded-for']
    out['x-forwarded-for'] = prior === undefined ? remoteAddress : `${Array.isArray(prior) ? prior.join(', ') : prior}, ${remoteAddress}`
  }
  return out
}

/**
 * Converts raw response headers (undici's buffers, or Node's strings) into a Node header object without hop-by-hop
 * headers (HTTP/2 responses must not carry them at all). Repeated names become arrays.
 */
export function responseHeaders(raw: readonly (Buffer | string)[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  let listed: Set<string> | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]
    const v = raw[i + 1]
    const name = (typeof n === 'string' ? n : n.toString('latin1')).toLowerCase()
    const value = typeof v === 'string' ? v : v.toString('latin1')
    if (name === 'connection') {
      listed = connectionListed(value)
      continue
    }
    if (HOP_BY_HOP.has(name)) continue
    const prev = out[name]
    if (prev === undefined) out[name] = value
    else if (Array.isArray(prev)) prev.push(value)
    else out[name] = [prev, value]
  }
  if (listed !== undefined) for (const n of listed) delete out[n]
  return out
}

/** Request header lines for a raw HTTP/1.1 upgrade request (values already validated by Node's parser). */
export function serializeRequestHead(method: string, path: string, headers: HeaderObject): string {
  let s = `${method} ${path} HTTP/1.1\r\n`
  for (const name in headers) {
    const v = headers[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const x of v) s += `${name}: ${x}\r\n`
    else s += `${name}: ${v}\r\n`
  }
  return s + '\r\n'
}
