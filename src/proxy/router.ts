// Routing (docs/upstream.md#routes, #mapping-handlers): from a raw request path to a target (backend origin +
// path) or to the error upstream answers with. Pure apart from the index lookup; the
// table is immutable, so a reload swaps it atomically and in-flight requests keep theirs.
import type { RoutingIndexReader, LookupResult } from '../index/types.js'
import { ProxyError, workspaceForbidden } from '../errors.js'
import type { Mapping } from './mapping.js'
import { decodeSegment, extractCluster, splitOrigin, verbOf } from './paths.js'

export interface RouteTable {
  readonly mappings: readonly Mapping[]
  /** The `/clusters/` mapping; its presence enables the cluster resolver (as upstream). */
  readonly shard: Mapping | undefined
  /** The `/` mapping (fallback). */
  readonly fallback: Mapping | undefined
  /** Non-shard, non-default mappings, most specific first. */
  readonly prefixes: readonly Mapping[]
}

/** Most specific first: more segments, then more literal segments (Go ServeMux specificity for our patterns). */
export function compileRouteTable(mappings: readonly Mapping[]): RouteTable {
  const prefixes = mappings
    .filter((m) => m.kind === 'prefix')
    .sort((a, b) => b.segments.length - a.segments.length || literalCount(b) - literalCount(a) || a.index - b.index)
  return {
    mappings,
    shard: mappings.find((m) => m.kind === 'shard'),
    fallback: mappings.find((m) => m.kind === 'default'),
    prefixes,
  }
}

function literalCount(m: Mapping): number {
  let n = 0
  for (const s of m.segments) if (!s.startsWith('{')) n++
  return n
}

/**
 * Matches `pattern` and `pattern/...` (Go `p` + `p/{trail...}`). Returns the decoded
 * `{cluster}` value ('' if none) or undefined when the mapping does not match.
 */
export function matchMapping(m: Mapping, path: string): string | undefined {
  if (m.literal) {
    const p = m.prefix
    if (path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 47 /* / */)) return ''
    return undefined
  }
  let pos = 0
  let cluster = ''
  for (let i = 0; i < m.segments.length; i++) {
    if (path.charCodeAt(pos) !== 47) return undefined
    const start = pos + 1
    let end = path.indexOf('/', start)
    if (end < 0) end = path.length
    const seg = m.segments[i]
    if (seg.startsWith('{')) {
      if (end === start) return undefined
      if (i === m.clusterSegment) cluster = decodeSegment(path.slice(start, end))
    } else if (end - start !== seg.length || !path.startsWith(seg, start)) return undefined
    pos = end
  }
  return pos === path.length || path.charCodeAt(pos) === 47 ? cluster : undefined
}

export function findMapping(t: RouteTable, path: string): { mapping: Mapping; cluster: string } | undefined {
  for (const m of t.prefixes) {
    const c = matchMapping(m, path)
    if (c !== undefined) return { mapping: m, cluster: c }
  }
  return undefined
}

export interface Target {
  /** Mapping whose TLS material and header names are used. */
  mapping: Mapping
  /** `https://host:port` to connect to. */
  origin: string
  /** Path + query to send. */
  path: string
  /** Resolved shard ('' when none, e.g. mounts or unresolved mappings). */
  shard: string
  /** Resolved logical cluster ('' when none). */
  cluster: string
  /** Its workspace type (`root:universal`), which per-workspace authentication keys on; '' when none (mounts). */
  type: string
}

export type RouteResult = Target | ProxyError

const CLUSTERS = '/clusters/'

function prefixTarget(m: Mapping, path: string, query: string, r: LookupResult | undefined): Target {
  const q = m.backend.search === '' ? query : query === '' ? m.backend.search : `${m.backend.search}&${query.slice(1)}`
  return { mapping: m, origin: m.origin, path: m.basePath + path + q, shard: r?.shard ?? '', cluster: r?.cluster ?? '', type: r?.type ?? '' }
}

/** Upstream's 403 for a workspace that does not resolve, remembering which one (admission explains it). */
export class WorkspaceMiss extends ProxyError {
  constructor(
    readonly verb: string,
    readonly path: string,
    readonly cluster: string,
  ) {
    const e = workspaceForbidden(verb, path)
    super(e.code, e.message, { details: {} })
  }
}

function resolve(index: RoutingIndexReader, cluster: string, method: string, path: string): LookupResult | ProxyError {
  const r = index.lookupURL(cluster)
  if (r === undefined) return new WorkspaceMiss(verbOf(method), path, cluster)
  // Upstream answers text "Not available." here; we answer a Status with the same message.
  if (r.errorCode !== 0) return new ProxyError('FP_WORKSPACE_UNAVAILABLE')
  return r
}

/**
 * Decides where a request goes. `path` is the raw (still encoded) path, after the in-cluster
 * service-account rewrite (admission.ts); `query` includes its `?`.
 */
export function route(t: RouteTable, index: RoutingIndexReader, method: string, path: string, query: string): RouteResult {
  const shardMapping = t.shard
  if (shardMapping !== undefined && path.startsWith(CLUSTERS)) {
    const end = path.indexOf('/', CLUSTERS.length)
    const seg = end < 0 ? path.slice(CLUSTERS.length) : path.slice(CLUSTERS.length, end)
    if (seg !== '') {
      const r = resolve(index, decodeSegment(seg), method, path)
      if (r instanceof ProxyError) return r
      // The client's encoding of the rest is kept byte for byte (upstream decodes it: %2F → /).
      const rest = end < 0 ? '' : path.slice(end)
      const u = splitOrigin(r.url)
      if (r.cluster !== '' || u.path.startsWith(CLUSTERS)) {
        // A shard (any base path prefix is kept, unlike upstream) or a mount back into a front-proxy.
        return { mapping: shardMapping, origin: u.origin, path: u.path + rest + query, shard: r.shard, cluster: r.cluster, type: r.type }
      }
      // A mount URL outside /clusters/ goes to the mapping serving that path (mount host ignored, as upstream).
      const mounted = u.path + rest
      const f = findMapping(t, mounted)
      if (f !== undefined) return prefixTarget(f.mapping, mounted, query, undefined)
      if (t.fallback !== undefined) return prefixTarget(t.fallback, mounted, query, undefined)
      return new ProxyError('FP_NOT_FOUND')
    }
  }
  const f = findMapping(t, path)
  if (f !== undefined) {
    // The mapping handler resolves the cluster only to label the request; the URL is not rewritten (docs/upstream.md#mapping-handlers).
    if (shardMapping !== undefined) {
      const cluster = f.cluster !== '' ? f.cluster : extractCluster(path)
      if (cluster !== '' && cluster !== '*') {
        const r = resolve(index, cluster, method, path)
        if (r instanceof ProxyError) return r
        return prefixTarget(f.mapping, path, query, r)
      }
    }
    return prefixTarget(f.mapping, path, query, undefined)
  }
  if (t.fallback !== undefined) return prefixTarget(t.fallback, path, query, undefined)
  return new ProxyError('FP_NOT_FOUND')
}
