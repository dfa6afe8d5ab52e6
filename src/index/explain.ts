// Why a workspace path did not resolve, for the message a user reads (the 403 itself is
// upstream's). The same walk as resolve() (walk.ts), stopping where it fails; only ever run for a
// path that missed, so it is not on the hot path. Deletions are remembered, bounded, so "was
// deleted" can be told from "never existed" — without a clock: the index does no I/O.
import type { ClusterNode, WorkspaceEdge } from './graph.js'
import { cachedHomeClusterName } from './home.js'
import { isValidClusterPath } from './path.js'
import type { Miss } from './types.js'

export const RECENT_DELETIONS = 10_000

/** The last RECENT_DELETIONS deleted workspaces, as `<parent cluster>:<name>`; the oldest forgotten first. */
export class RecentDeletions {
  readonly #keys = new Set<string>()

  add(parentCluster: string, name: string): void {
    const k = `${parentCluster}:${name}`
    this.#keys.delete(k)
    this.#keys.add(k)
    if (this.#keys.size > RECENT_DELETIONS) this.#keys.delete(this.#keys.values().next().value as string)
  }

  /** The workspace exists again (re-created). */
  forget(parentCluster: string, name: string): void {
    this.#keys.delete(`${parentCluster}:${name}`)
  }

  has(parentCluster: string, name: string): boolean {
    return this.#keys.has(`${parentCluster}:${name}`)
  }

  /** [parent cluster, name], oldest first (neither contains ':'; names are DNS labels). */
  *entries(): Generator<[string, string]> {
    for (const k of this.#keys) {
      const i = k.indexOf(':')
      yield [k.slice(0, i), k.slice(i + 1)]
    }
  }
}

export function explainMiss(nodes: ReadonlyMap<string, ClusterNode>, deleted: RecentDeletions, path: string): Miss {
  if (!isValidClusterPath(path)) return { reason: 'invalid', at: path }
  const segments = path.split(':')
  let i = 1
  let first = segments[0]
  if (first === 'user' && segments.length > 1) {
    first = cachedHomeClusterName(segments[1])
    i = 2
  }
  let node = nodes.get(first)
  if (node?.shard === undefined) return { reason: 'unknown', at: segments.slice(0, i).join(':') }
  for (; i < segments.length; i++) {
    const name = segments[i]
    const at = segments.slice(0, i + 1).join(':')
    let edge: WorkspaceEdge | undefined = node.children?.get(name)
    while (edge !== undefined && edge.shard !== node.shard) edge = edge.next
    if (edge === undefined) return { reason: deleted.has(node.name, name) ? 'deleted' : 'unknown', at }
    if (edge.child === undefined) return { reason: 'unknown', at }
    node = edge.child
    if (node.shard === undefined) return { reason: 'unknown', at }
  }
  return { reason: 'no-shard-url', at: path }
}
