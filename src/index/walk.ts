// The lookup walk (docs/upstream.md#index): validate, rewrite `user:<name>`, then one Map.get
// per segment. Pure function of the graph; the index memoises its answers.
import type { ClusterNode, WorkspaceEdge } from './graph.js'
import { cachedHomeClusterName } from './home.js'
import { isValidClusterPath } from './path.js'
import type { LookupResult } from './types.js'

const UNAVAILABLE = 503

/** Resolves a workspace path against the graph; undefined = invalid or not found. */
export function resolve(nodes: ReadonlyMap<string, ClusterNode>, path: string): LookupResult | undefined {
  if (!isValidClusterPath(path)) return undefined
  const n = path.length
  let end = path.indexOf(':')
  if (end < 0) end = n
  let first = path.slice(0, end)
  if (first === 'user' && end < n) {
    // `user:<name>[:rest]` starts at the user's home cluster (docs/upstream.md#home-clusters).
    const start = end + 1
    end = path.indexOf(':', start)
    if (end < 0) end = n
    first = cachedHomeClusterName(path.slice(start, end))
  }
  let node = nodes.get(first)
  let shard = node?.shard
  if (node === undefined || shard === undefined) return undefined
  let errorCode = 0

  while (end < n) {
    const start = end + 1
    end = path.indexOf(':', start)
    if (end < 0) end = n
    let edge: WorkspaceEdge | undefined = node.children?.get(path.slice(start, end))
    while (edge !== undefined && edge.shard !== shard) edge = edge.next
    if (edge === undefined) return undefined
    // Kept from upstream on purpose: once the walk passes an Unavailable
    // workspace, the answer is 503 however deep the path goes (docs/index.md).
    if (edge.unavailable) errorCode = UNAVAILABLE
    const child: ClusterNode | undefined = edge.child
    if (child === undefined) {
      // Mount-only workspace: answered by its URL, whatever segments follow (as upstream).
      return { shard: '', cluster: '', type: '', url: edge.mountURL, errorCode }
    }
    node = child
    shard = child.shard
    if (shard === undefined) return undefined
  }
  return { shard: shard.name, cluster: node.name, type: node.type, url: '', errorCode }
}
