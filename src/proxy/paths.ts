// Pure helpers on raw request paths. They work on the path as the client sent it
// (percent-encoding intact): the shard must see exactly the bytes the client wrote after
// the cluster segment, so nothing here decodes more than the one segment it inspects.

const CLUSTERS = '/clusters/'

/** Splits `path?query` without allocating when there is no query. */
export function splitURL(url: string): { path: string; query: string } {
  const q = url.indexOf('?')
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q) }
}

/**
 * Go's ServeMux cleanPath on the raw path: `//` collapsed, `.` and `..` segments resolved (never
 * above the root), the trailing slash kept. Upstream's outer mux redirects to it before any filter
 * runs; a path that is already clean comes back as the same string.
 */
export function cleanPath(p: string): string {
  // Fast path: nothing to clean in nearly every request.
  if (p.indexOf('//') < 0 && p.indexOf('/.') < 0 && p.charCodeAt(0) === 47) return p
  const abs = p.charCodeAt(0) === 47 ? p : `/${p}`
  const out: string[] = []
  for (const seg of abs.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') out.pop()
    else out.push(seg)
  }
  let np = `/${out.join('/')}`
  if (abs.endsWith('/') && np !== '/') np += '/'
  return np
}

/**
 * Path hygiene (runs before routing, after cleanPath's redirect): a proxy that routes on one reading of a path and
 * forwards another is a classic confused deputy. Rejects
 * - percent-encoded dot-segments (`/clusters/a/%2e%2e/b`; literal ones were redirected by
 *   cleanPath): a backend that normalises them would serve another workspace than the one we
 *   authorised;
 * - `%2F`/`%5C` or broken percent-encoding inside any `/clusters/<segment>`: the cluster name
 *   we resolve must be the one the shard parses.
 * Returns an error message, or undefined when the path is clean.
 */
export function pathHygieneError(path: string): string | undefined {
  // Fast path: most paths contain no '%' (literal dot-segments were redirected by cleanPath).
  if (path.indexOf('%') < 0) return undefined
  let start = 1
  let prevWasClusters = false
  while (start <= path.length) {
    let end = path.indexOf('/', start)
    if (end < 0) end = path.length
    const seg = path.slice(start, end)
    if (seg.indexOf('%') >= 0) {
      let decoded: string
      try {
        decoded = decodeURIComponent(seg)
      } catch {
        return `invalid percent-encoding in path segment ${JSON.stringify(seg)}`
      }
      if (decoded === '.' || decoded === '..') return `encoded dot-segments are not allowed in request paths`
      if (prevWasClusters && (decoded.includes('/') || decoded.includes('\\'))) return `encoded slashes are not allowed in the cluster segment`
    }
    prevWasClusters = seg === 'clusters'
    start = end + 1
  }
  return undefined
}

/** Decodes a cluster segment only when it is encoded (hygiene already refused bad encodings). */
export function decodeSegment(seg: string): string {
  if (seg.indexOf('%') < 0) return seg
  try {
    return decodeURIComponent(seg)
  } catch {
    return seg
  }
}

/**
 * Upstream extractClusterFromPath (docs/upstream.md#mapping-handlers): the text after the FIRST `/clusters/` up to
 * the next `/` (or the end); '' when absent. Decoded like Go's URL.Path.
 */
export function extractCluster(path: string): string {
  const i = path.indexOf(CLUSTERS)
  if (i < 0) return ''
  const s = i + CLUSTERS.length
  const e = path.indexOf('/', s)
  return decodeSegment(e < 0 ? path.slice(s) : path.slice(s, e))
}

const VERBS: Record<string, string> = {
  GET: 'get', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'delete', HEAD: 'head', OPTIONS: 'options', CONNECT: 'connect', TRACE: 'trace',
}

/** Non-resource RequestInfo verb: the lowercased method (cached for the common ones). */
export function verbOf(method: string): string {
  return VERBS[method] ?? method.toLowerCase()
}

/** Splits an absolute URL into origin and path without a URL parse on the hot path. */
export function splitOrigin(url: string): { origin: string; path: string } {
  const scheme = url.indexOf('//')
  const slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 2)
  if (slash < 0) return { origin: url, path: '' }
  let path = url.slice(slash)
  while (path.endsWith('/')) path = path.slice(0, -1)
  return { origin: url.slice(0, slash), path }
}
