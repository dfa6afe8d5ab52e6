// The index's state as a small object graph. Lookups then cost one Map.get per
// path segment plus pointer hops, and no per-lookup string concatenation:
//
//   nodes:  LC name ─▶ ClusterNode ──children (by workspace name)──▶ WorkspaceEdge ──child──▶ ClusterNode
//
// A ClusterNode exists while anything refers to its name: the LogicalCluster
// itself (node.shard set), a workspace stored in it (children), or a workspace
// pointing at it (incoming list). When none is left the node is dropped, which is
// what keeps the index leak-free whatever order deletes arrive in.

/** A shard by name; shared by pointer so edges compare shards with `===`. */
export class ShardEntry {
  /** `spec.baseURL`, undefined until upsertShard (workspaces may arrive first). */
  baseURL: string | undefined = undefined
  /** `<baseURL without one trailing '/'>/clusters/`, precomputed for lookupURL. */
  clustersPrefix = ''
  /** LogicalClusters currently placed on this shard. */
  clusters = 0
  /** Workspace records this shard reported. */
  edges = 0
  /** Of those, the ones naming a child cluster (kcp_indexed_logicalclusters). */
  childEdges = 0

  constructor(readonly name: string) {}

  setBaseURL(url: string): void {
    this.baseURL = url
    this.clustersPrefix = (url.endsWith('/') ? url.slice(0, -1) : url) + '/clusters/'
  }

  get unused(): boolean {
    return this.baseURL === undefined && this.clusters === 0 && this.edges === 0
  }
}

/** One logical-cluster name. */
export class ClusterNode {
  /** Shard that reported the LogicalCluster; undefined when it is not (or no longer) known. */
  shard: ShardEntry | undefined = undefined
  /** Workspace type path from the LC annotation, interned; '' when unknown. */
  type = ''
  /** Workspaces stored in this cluster (this node as parent), by workspace name. */
  children: Map<string, WorkspaceEdge> | undefined = undefined
  /** First of the edges whose child is this node (linked through edge.nextIn). */
  firstIn: WorkspaceEdge | undefined = undefined

  constructor(readonly name: string) {}

  get unused(): boolean {
    return this.shard === undefined && this.children === undefined && this.firstIn === undefined
  }
}

/** What one shard reported about one Workspace object (parent cluster + name). */
export class WorkspaceEdge {
  /** spec.cluster's node; undefined for a mount-only workspace. */
  child: ClusterNode | undefined = undefined
  /** spec.URL when spec.mount is set and the URL parses; '' otherwise. */
  mountURL = ''
  /** status.phase == Unavailable. */
  unavailable = false
  /** The record for the same parent + name from another shard (rare: stale data after a move). */
  next: WorkspaceEdge | undefined = undefined
  /** Next edge pointing at the same child. */
  nextIn: WorkspaceEdge | undefined = undefined

  constructor(
    readonly shard: ShardEntry,
    readonly parent: ClusterNode,
    readonly name: string,
  ) {}
}

/** The edge for (parent, name) reported by `shard`, if any. */
export function findEdge(parent: ClusterNode, name: string, shard: ShardEntry): WorkspaceEdge | undefined {
  let e = parent.children?.get(name)
  while (e !== undefined && e.shard !== shard) e = e.next
  return e
}

export function linkToParent(edge: WorkspaceEdge): void {
  const parent = edge.parent
  parent.children ??= new Map()
  const first = parent.children.get(edge.name)
  if (first === undefined) parent.children.set(edge.name, edge)
  else {
    edge.next = first.next
    first.next = edge
  }
}

export function unlinkFromParent(edge: WorkspaceEdge): void {
  const children = edge.parent.children
  if (children === undefined) return
  const first = children.get(edge.name)
  if (first === edge) {
    if (edge.next !== undefined) children.set(edge.name, edge.next)
    else children.delete(edge.name)
  } else {
    let e = first
    while (e !== undefined && e.next !== edge) e = e.next
    if (e !== undefined) e.next = edge.next
  }
  edge.next = undefined
  if (children.size === 0) edge.parent.children = undefined
}

export function linkChild(edge: WorkspaceEdge, child: ClusterNode): void {
  edge.child = child
  edge.nextIn = child.firstIn
  child.firstIn = edge
}

export function unlinkChild(edge: WorkspaceEdge): void {
  const child = edge.child
  if (child === undefined) return
  if (child.firstIn === edge) child.firstIn = edge.nextIn
  else {
    let e = child.firstIn
    while (e !== undefined && e.nextIn !== edge) e = e.nextIn
    if (e !== undefined) e.nextIn = edge.nextIn
  }
  edge.child = undefined
  edge.nextIn = undefined
}

/** Every edge stored under `parent` (all names, all shards), as a snapshot safe to mutate against. */
export function edgesUnder(parent: ClusterNode): WorkspaceEdge[] {
  const out: WorkspaceEdge[] = []
  if (parent.children === undefined) return out
  for (const first of parent.children.values()) {
    for (let e: WorkspaceEdge | undefined = first; e !== undefined; e = e.next) out.push(e)
  }
  return out
}

/** Every edge pointing at `child`, as a snapshot. */
export function edgesInto(child: ClusterNode): WorkspaceEdge[] {
  const out: WorkspaceEdge[] = []
  for (let e = child.firstIn; e !== undefined; e = e.nextIn) out.push(e)
  return out
}

/** Reference-counted string interning for low-cardinality values (workspace types). */
export class Interner {
  private readonly table = new Map<string, { value: string; refs: number }>()

  acquire(s: string): string {
    if (s === '') return ''
    let slot = this.table.get(s)
    if (slot === undefined) this.table.set(s, (slot = { value: s, refs: 0 }))
    slot.refs++
    return slot.value
  }

  release(s: string): void {
    if (s === '') return
    const slot = this.table.get(s)
    if (slot !== undefined && --slot.refs === 0) this.table.delete(s)
  }

  get size(): number {
    return this.table.size
  }
}
