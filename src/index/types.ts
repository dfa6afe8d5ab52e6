// Shapes the index consumes (subsets of kcp objects, spec §7) and what it answers.
// The index is pure data: the controller feeds it objects, the proxy reads lookups.
import type { ObjectMeta } from '../kube/object.js'
import type { Miss } from './explain.js'

// Declared once, with the reflector that delivers these objects.
export type { ObjectMeta } from '../kube/object.js'

export const ClusterAnnotation = 'kcp.io/cluster'
export const PathAnnotation = 'kcp.io/path'
export const WorkspaceTypeAnnotation = 'internal.tenancy.kcp.io/type'

export interface ShardObject {
  metadata: ObjectMeta
  spec: { baseURL: string; externalURL?: string; virtualWorkspaceURL?: string }
}

export interface WorkspaceObject {
  metadata: ObjectMeta
  spec?: {
    cluster?: string
    URL?: string
    type?: { name?: string; path?: string }
    mount?: { ref?: { apiVersion?: string; kind?: string; name?: string; namespace?: string } } | null
    location?: { selector?: unknown }
  }
  status?: { phase?: string }
}

export interface LogicalClusterObject {
  metadata: ObjectMeta
  status?: { phase?: string; URL?: string }
}

export interface LookupResult {
  /** Shard name; '' for mount results. */
  shard: string
  /** Logical cluster name; '' for mount results. */
  cluster: string
  /** Workspace type path, e.g. `root:universal`; '' when unknown or a mount. */
  type: string
  /** For lookupURL: `<shard baseURL>/clusters/<cluster>`, or the mount URL. '' from lookup() for non-mounts. */
  url: string
  /** 0, or 503 when a workspace on the walked path is Unavailable. */
  errorCode: number
}

/** What the proxy and the controller see of the index. */
export interface RoutingIndex {
  upsertShard(name: string, baseURL: string): void
  deleteShard(name: string): void
  upsertWorkspace(shard: string, ws: WorkspaceObject): void
  deleteWorkspace(shard: string, ws: WorkspaceObject): void
  upsertLogicalCluster(shard: string, lc: LogicalClusterObject): void
  deleteLogicalCluster(shard: string, lc: LogicalClusterObject): void
  /** Resolves a workspace path (`root:org:team`, `<lc>`, `user:alice:ws`). undefined = not found/invalid. */
  lookup(path: string): Readonly<LookupResult> | undefined
  /** lookup() plus the shard URL, exactly as upstream LookupURL. */
  lookupURL(path: string): Readonly<LookupResult> | undefined
  /** Why lookupURL(path) found nothing, for the message a user reads. */
  explainMiss(path: string): Miss
  /** Child workspaces indexed per shard (kcp_indexed_logicalclusters semantics). */
  indexedCounts(): Map<string, number>
  /** Increments on every mutation that changed state; lets tests and benches wait for propagation. */
  readonly generation: number
}
