// URL parsing for resource requests: `/api/v1/...`, `/apis/<g>/<v>/...`, optional `namespaces/<ns>/`,
// the legacy `watch/` prefix, `:<identityHash>` suffixes and the `status` subresource.
import { findResource, type ResourceDef } from './resources.js'

export interface ResourceRoute {
  def: ResourceDef
  namespace?: string
  name?: string
  subresource?: string
  /** From the legacy `/watch/` path form. */
  watchPath: boolean
  /** The `:<hash>` suffix of the resource segment, if any. */
  identity?: string
}

export type Route =
  | { kind: 'resource'; route: ResourceRoute }
  | { kind: 'group-version'; group: string; version: string }
  | { kind: 'group'; group: string }
  | { kind: 'none' }

export function splitSegments(path: string): string[] | undefined {
  try {
    return path.split('/').filter((s) => s !== '').map(decodeURIComponent)
  } catch {
    return undefined
  }
}

/** Parses the path below a cluster prefix. `kind: 'none'` = not an API path (plain 404). */
export function parseAPIPath(rest: string): Route {
  const segs = splitSegments(rest)
  if (!segs || segs.length < 2) return { kind: 'none' }
  let group: string
  let version: string
  let tail: string[]
  if (segs[0] === 'api') {
    group = ''
    version = segs[1]
    tail = segs.slice(2)
  } else if (segs[0] === 'apis') {
    group = segs[1]
    if (segs.length === 2) return { kind: 'group', group }
    version = segs[2]
    tail = segs.slice(3)
  } else return { kind: 'none' }
  if (tail.length === 0) return { kind: 'group-version', group, version }
  let watchPath = false
  if (tail[0] === 'watch') {
    watchPath = true
    tail = tail.slice(1)
  }
  let namespace: string | undefined
  if (tail[0] === 'namespaces' && tail.length >= 3 && findResource(group, version, baseName(tail[2]))?.namespaced === true) {
    namespace = tail[1]
    tail = tail.slice(2)
  }
  if (tail.length === 0 || tail.length > 3) return { kind: 'none' }
  const [resSeg, name, subresource] = tail
  const colon = resSeg.indexOf(':')
  const def = findResource(group, version, colon < 0 ? resSeg : resSeg.slice(0, colon))
  if (!def) return { kind: 'none' }
  if (namespace !== undefined && !def.namespaced) return { kind: 'none' }
  if (def.namespaced && namespace === undefined && name !== undefined) return { kind: 'none' }
  if (subresource !== undefined && !(subresource === 'status' && def.status)) return { kind: 'none' }
  const route: ResourceRoute = { def, watchPath }
  if (namespace !== undefined) route.namespace = namespace
  if (name !== undefined) route.name = name
  if (subresource !== undefined) route.subresource = subresource
  if (colon >= 0) route.identity = resSeg.slice(colon + 1)
  return { kind: 'resource', route }
}

function baseName(seg: string): string {
  const i = seg.indexOf(':')
  return i < 0 ? seg : seg.slice(0, i)
}
