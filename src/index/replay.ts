// The routing index's writer calls as data, so another process can keep a copy of an index
// (src/workers: the primary runs the controller, each worker replays its calls). Two ways to
// get them: record the calls as they happen, and stateOps(), which turns an index's current
// state into calls that rebuild it from empty (for a copy that starts late).
import { edgesUnder, type ClusterNode, type ShardEntry } from './graph.js'
import { ClusterAnnotation, WorkspaceTypeAnnotation, type LogicalClusterObject, type RoutingIndexWriter, type WorkspaceObject } from './types.js'

export type IndexOp =
  | ['upsertShard', string, string]
  | ['deleteShard', string]
  | ['upsertWorkspace', string, WorkspaceObject]
  | ['deleteWorkspace', string, WorkspaceObject]
  | ['upsertLogicalCluster', string, LogicalClusterObject]
  | ['deleteLogicalCluster', string, LogicalClusterObject]

export type IndexWriter = Pick<RoutingIndexWriter, IndexOp[0]>

export function applyIndexOp(index: IndexWriter, op: IndexOp): void {
  switch (op[0]) {
    case 'upsertShard': return index.upsertShard(op[1], op[2])
    case 'deleteShard': return index.deleteShard(op[1])
    case 'upsertWorkspace': return index.upsertWorkspace(op[1], op[2])
    case 'deleteWorkspace': return index.deleteWorkspace(op[1], op[2])
    case 'upsertLogicalCluster': return index.upsertLogicalCluster(op[1], op[2])
    case 'deleteLogicalCluster': return index.deleteLogicalCluster(op[1], op[2])
  }
}

/**
 * A shard name no kcp Shard can have (object names are never empty): the recent deletions are
 * replayed as what they were, a workspace that existed and was deleted, on this shard, so
 * nothing of them stays in the index but the memory of the deletion.
 */
const REPLAY_SHARD = ''

/**
 * Writer calls that rebuild this state in an empty index: shard URLs, then logical clusters, then
 * workspace records, then the recent deletions (oldest first, as explainMiss remembers them).
 * Lookups, explainMiss and indexedCounts of the rebuilt index answer as the original's.
 */
export function stateOps(shards: Iterable<ShardEntry>, nodes: Iterable<ClusterNode>, deletions: Iterable<readonly [string, string]>): IndexOp[] {
  const ops: IndexOp[] = []
  for (const s of shards) if (s.baseURL !== undefined) ops.push(['upsertShard', s.name, s.baseURL])
  const all = [...nodes]
  for (const n of all) {
    if (n.shard === undefined) continue
    const annotations: Record<string, string> = { [ClusterAnnotation]: n.name }
    if (n.type !== '') annotations[WorkspaceTypeAnnotation] = n.type
    ops.push(['upsertLogicalCluster', n.shard.name, { metadata: { name: 'cluster', annotations } }])
  }
  for (const n of all) {
    for (const e of edgesUnder(n)) {
      const spec: NonNullable<WorkspaceObject['spec']> = {}
      if (e.child !== undefined) spec.cluster = e.child.name
      if (e.mountURL !== '') Object.assign(spec, { mount: { ref: {} }, URL: e.mountURL })
      ops.push(['upsertWorkspace', e.shard.name, { metadata: { name: e.name, annotations: { [ClusterAnnotation]: n.name } }, spec, ...(e.unavailable ? { status: { phase: 'Unavailable' } } : {}) }])
    }
  }
  for (const [parent, name] of deletions) {
    const ws: WorkspaceObject = { metadata: { name, annotations: { [ClusterAnnotation]: parent } }, spec: { cluster: `${parent}-${name}-deleted` } }
    ops.push(['upsertWorkspace', REPLAY_SHARD, ws], ['deleteWorkspace', REPLAY_SHARD, ws])
  }
  return ops
}
