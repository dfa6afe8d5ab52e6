// Shapes the index consumes (subsets of kcp objects, docs/upstream.md#resources) and what it answers.
// The index is pure data: the controller feeds it objects, the proxy reads lookups.
import type { ObjectMeta } from '../kube/object.js'

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

export type MissReason =
  /** Not a workspace path at all (`Root:Org`, `a..b`, an e-mail address). */
  | 'invalid'
  /** `at` is not a workspace the front-proxy has seen. */
  | 'unknown'
  /** `at` was a workspace, deleted since (among the last RECENT_DELETIONS deletions). */
  | 'deleted'
  /** Everything resolved, but the shard holding it has no base URL yet. */
  | 'no-shard-url'

/** Why a path did not resolve (explain.ts). */
export interface Miss {
  reason: MissReason
  /** The longest prefix of the path that names the missing piece (`root:org:gone`). */
  at: string
}

/** What the proxy and embedders get: lookups only; nothing through it can change the index. */
export interface RoutingIndexReader {
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

/** What the controller gets: it feeds the index from the shards' watches (and reads it for its metrics). */
export interface RoutingIndexWriter extends RoutingIndexReader {
  upsertShard(name: string, baseURL: string): void
  deleteShard(name: string): void
  upsertWorkspace(shard: string, ws: WorkspaceObject): void
  deleteWorkspace(shard: string, ws: WorkspaceObject): void
  upsertLogicalCluster(shard: string, lc: LogicalClusterObject): void
  deleteLogicalCluster(shard: string, lc: LogicalClusterObject): void
}
