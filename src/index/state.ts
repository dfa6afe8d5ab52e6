// The routing index: workspace path → (shard, logical cluster), fed by the
// controller with Shard / Workspace / LogicalCluster objects (docs/upstream.md#index). Pure data,
// synchronous, no I/O. Semantics follow upstream `pkg/index/index.go` except for
// the deliberate fixes listed in docs/index.md ("Differences from upstream").
import { LookupMemo } from './memo.js'
import { resolve } from './walk.js'
import {
  ClusterNode,
  Interner,
  ShardEntry,
  WorkspaceEdge,
  edgesInto,
  edgesUnder,
  findEdge,
  linkChild,
  linkToParent,
  unlinkChild,
  unlinkFromParent,
} from './graph.js'
import { explainMiss, RecentDeletions } from './explain.js'
import { stateOps, type IndexOp } from './replay.js'
import {
  ClusterAnnotation,
  WorkspaceTypeAnnotation,
  type LogicalClusterObject,
  type LookupResult,
  type Miss,
  type RoutingIndexWriter,
  type WorkspaceObject,
} from './types.js'

/** Sizes of every internal table; all zero once everything was deleted (leak tests). */
export interface IndexSizes {
  clusters: number
  shards: number
  workspaces: number
  types: number
  memo: number
}

export interface WorkspaceIndexOptions {
  /** Resolved paths remembered until the next state change, per method (lookup, lookupURL); 0 disables. Default 100,000. */
  memoSize?: number
}

const DEFAULT_MEMO_SIZE = 100_000

/** spec.URL is used only for mounts, and only when it parses (upstream: url.Parse). */
function mountURLOf(ws: WorkspaceObject): string {
  const spec = ws.spec
  if (spec?.mount == null) return ''
  const url = spec.URL ?? ''
  return url !== '' && URL.canParse(url) ? url : ''
}

export class WorkspaceIndex implements RoutingIndexWriter {
  private readonly nodes = new Map<string, ClusterNode>()
  private readonly shards = new Map<string, ShardEntry>()
  private readonly types = new Interner()
  private edgeCount = 0
  private gen = 0
  private readonly memo: LookupMemo
  private readonly urlMemo: LookupMemo
  private readonly deleted = new RecentDeletions()

  constructor(options: WorkspaceIndexOptions = {}) {
    this.memo = new LookupMemo(options.memoSize ?? DEFAULT_MEMO_SIZE)
    this.urlMemo = new LookupMemo(options.memoSize ?? DEFAULT_MEMO_SIZE)
  }

  get generation(): number {
    return this.gen
  }

  // ---- shards ---------------------------------------------------------------

  upsertShard(name: string, baseURL: string): void {
    const entry = this.shardEntry(name)
    if (entry.baseURL === baseURL) return
    // A changed URL keeps every cluster on the shard routable (upstream dropped them; README, Differences).
    entry.setBaseURL(baseURL)
    this.changed()
  }

  deleteShard(name: string): void {
    const entry = this.shards.get(name)
    if (entry === undefined) return
    // Everything this shard reported goes: its LogicalClusters and its Workspace
    // records. Edges other shards reported *into* its clusters stay: those
    // Workspaces still exist, and the shard's clusters come back when it does.
    for (const node of this.nodes.values()) {
      if (node.shard === entry) this.unplace(node)
      for (const edge of edgesUnder(node)) if (edge.shard === entry) this.removeEdge(edge)
    }
    for (const node of this.nodes.values()) this.dropIfUnused(node)
    this.shards.delete(name)
    this.changed()
  }

  // ---- logical clusters -----------------------------------------------------

  upsertLogicalCluster(shard: string, lc: LogicalClusterObject): void {
    const annotations = lc.metadata.annotations
    const name = annotations?.[ClusterAnnotation]
    if (!name) return
    const type = annotations?.[WorkspaceTypeAnnotation] ?? ''
    let node = this.nodes.get(name)
    if (node !== undefined && node.shard?.name === shard && node.type === type) return
    node ??= this.node(name)
    const entry = this.shardEntry(shard)
    if (node.shard !== entry) {
      if (node.shard !== undefined) this.unplace(node)
      node.shard = entry
      entry.clusters++
    }
    // Unlike upstream, a changed type annotation is picked up on every update (README, Differences).
    if (node.type !== type) {
      this.types.release(node.type)
      node.type = this.types.acquire(type)
    }
    this.changed()
  }

  deleteLogicalCluster(shard: string, lc: LogicalClusterObject): void {
    const name = lc.metadata.annotations?.[ClusterAnnotation]
    const node = name ? this.nodes.get(name) : undefined
    // Only the shard the cluster lives on may delete it (a late delete from the
    // shard it moved away from must not hide it).
    if (node?.shard?.name !== shard) return
    this.unplace(node)
    // Scrub it as parent (workspaces stored in it) and as child (workspaces
    // pointing at it), so the order of LC and Workspace deletes does not matter.
    for (const edge of edgesUnder(node)) this.removeEdge(edge)
    for (const edge of edgesInto(node)) {
      this.deleted.add(edge.parent.name, edge.name)
      this.removeEdge(edge)
    }
    this.dropIfUnused(node)
    this.changed()
  }

  // ---- workspaces -----------------------------------------------------------

  upsertWorkspace(shard: string, ws: WorkspaceObject): void {
    const phase = ws.status?.phase
    if (phase === 'Scheduling') return // not placed yet; upstream ignores the event entirely
    const parentName = ws.metadata.annotations?.[ClusterAnnotation]
    if (!parentName) return
    const childName = ws.spec?.cluster ?? ''
    const mountURL = mountURLOf(ws)
    const unavailable = phase === 'Unavailable'
    const entry = this.shards.get(shard)
    const parent = this.nodes.get(parentName)
    let edge = entry && parent ? findEdge(parent, ws.metadata.name, entry) : undefined

    if (childName === '' && mountURL === '') {
      // Nothing routable (e.g. a mount whose URL is not set yet): forget any old record.
      if (edge !== undefined) {
        this.removeEdge(edge)
        this.changed()
      }
      return
    }
    if (edge !== undefined && edge.mountURL === mountURL && edge.unavailable === unavailable && (edge.child?.name ?? '') === childName) {
      return
    }
    if (edge === undefined) {
      this.deleted.forget(parentName, ws.metadata.name)
      const owner = entry ?? this.shardEntry(shard)
      edge = new WorkspaceEdge(owner, parent ?? this.node(parentName), ws.metadata.name)
      linkToParent(edge)
      owner.edges++
      this.edgeCount++
    }
    edge.mountURL = mountURL
    edge.unavailable = unavailable
    if ((edge.child?.name ?? '') !== childName) this.setChild(edge, childName)
    this.changed()
  }

  deleteWorkspace(shard: string, ws: WorkspaceObject): void {
    const entry = this.shards.get(shard)
    const parentName = ws.metadata.annotations?.[ClusterAnnotation]
    const parent = parentName ? this.nodes.get(parentName) : undefined
    const edge = entry && parent ? findEdge(parent, ws.metadata.name, entry) : undefined
    if (edge === undefined) return
    this.deleted.add(parent!.name, ws.metadata.name)
    this.removeEdge(edge)
    this.changed()
  }

  // ---- reads ----------------------------------------------------------------

  // Hits return the memo's frozen entry itself: no copy on the hot path, and a
  // caller that tried to mutate it would throw rather than corrupt later answers.
  lookup(path: string): Readonly<LookupResult> | undefined {
    const hit = this.memo.get(path)
    if (hit !== undefined) return hit
    const result = resolve(this.nodes, path)
    return result === undefined ? undefined : this.memo.set(path, result)
  }

  lookupURL(path: string): Readonly<LookupResult> | undefined {
    // Memoised separately: the proxy only calls lookupURL, and a hit then costs no
    // shard lookup and no URL concatenation either.
    const hit = this.urlMemo.get(path)
    if (hit !== undefined) return hit
    const result = resolve(this.nodes, path)
    if (result === undefined) return undefined
    if (result.errorCode === 0 && result.url === '') {
      const entry = this.shards.get(result.shard)
      if (entry?.baseURL === undefined) return undefined
      result.url = entry.clustersPrefix + result.cluster
    }
    return this.urlMemo.set(path, result)
  }

  explainMiss(path: string): Miss {
    return explainMiss(this.nodes, this.deleted, path)
  }

  indexedCounts(): Map<string, number> {
    const counts = new Map<string, number>()
    for (const entry of this.shards.values()) counts.set(entry.name, entry.childEdges)
    return counts
  }

  /** Writer calls that rebuild this state in an empty index (replay.ts; a worker that starts late). */
  stateOps(): IndexOp[] {
    return stateOps(this.shards.values(), this.nodes.values(), this.deleted.entries())
  }

  /** Sizes of the internal tables (for leak tests and the benchmark). */
  debugSizes(): IndexSizes {
    return { clusters: this.nodes.size, shards: this.shards.size, workspaces: this.edgeCount, types: this.types.size, memo: this.memo.size + this.urlMemo.size }
  }

  // ---- internals ------------------------------------------------------------

  /** Every state change bumps the generation and forgets memoised answers. */
  private changed(): void {
    this.gen++
    this.memo.clear()
    this.urlMemo.clear()
  }

  private node(name: string): ClusterNode {
    let node = this.nodes.get(name)
    if (node === undefined) this.nodes.set(name, (node = new ClusterNode(name)))
    return node
  }

  private shardEntry(name: string): ShardEntry {
    let entry = this.shards.get(name)
    if (entry === undefined) this.shards.set(name, (entry = new ShardEntry(name)))
    return entry
  }

  /** Takes a cluster off its shard (it stays in `nodes` while workspaces refer to it). */
  private unplace(node: ClusterNode): void {
    const entry = node.shard
    if (entry === undefined) return
    node.shard = undefined
    entry.clusters--
    this.types.release(node.type)
    node.type = ''
    this.dropShardIfUnused(entry)
  }

  private setChild(edge: WorkspaceEdge, childName: string): void {
    const old = edge.child
    if (old !== undefined) {
      unlinkChild(edge)
      edge.shard.childEdges--
      this.dropIfUnused(old)
    }
    if (childName !== '') {
      linkChild(edge, this.node(childName))
      edge.shard.childEdges++
    }
  }

  private removeEdge(edge: WorkspaceEdge): void {
    this.setChild(edge, '')
    unlinkFromParent(edge)
    edge.shard.edges--
    this.edgeCount--
    this.dropIfUnused(edge.parent)
    this.dropShardIfUnused(edge.shard)
  }

  private dropIfUnused(node: ClusterNode): void {
    if (node.unused && this.nodes.get(node.name) === node) this.nodes.delete(node.name)
  }

  private dropShardIfUnused(entry: ShardEntry): void {
    if (entry.unused && this.shards.get(entry.name) === entry) this.shards.delete(entry.name)
  }
}
