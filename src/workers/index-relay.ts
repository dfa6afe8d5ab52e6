// One controller, many copies of its indexes. The primary's controller writes into recording
// indexes (real indexes that also report each call that changed something); the calls go to
// every worker as data (RelayOp) and each worker applies them to its own plain indexes. A worker
// that starts late first gets snapshotOps(): calls that rebuild the current state from empty.
import { AuthConfigIndex, authConfigRefKey, workspaceTypeKey, type AuthConfigObject, type WorkspaceTypeObject } from '../index/auth-configs.js'
import { applyIndexOp, type IndexOp } from '../index/replay.js'
import { WorkspaceIndex } from '../index/state.js'
import { ClusterAnnotation, type LogicalClusterObject, type WorkspaceObject } from '../index/types.js'

/** The auth-config index's writer calls (WorkspaceAuthentication gate). */
export type AuthOp =
  | ['upsertWorkspaceType', string, WorkspaceTypeObject]
  | ['deleteWorkspaceType', string, WorkspaceTypeObject]
  | ['upsertAuthConfig', string, AuthConfigObject]
  | ['deleteAuthConfig', string, AuthConfigObject]
  | ['deleteAuthShard', string]

export type RelayOp = IndexOp | AuthOp

type Sink = (op: RelayOp) => void

/** Reports only calls that changed the index: a no-op on the primary is a no-op on every copy. */
class RecordingWorkspaceIndex extends WorkspaceIndex {
  constructor(private readonly sink: Sink) {
    super()
  }

  #record(op: IndexOp, apply: () => void): void {
    const before = this.generation
    apply()
    if (this.generation !== before) this.sink(op)
  }

  override upsertShard(name: string, baseURL: string): void {
    this.#record(['upsertShard', name, baseURL], () => super.upsertShard(name, baseURL))
  }
  override deleteShard(name: string): void {
    this.#record(['deleteShard', name], () => super.deleteShard(name))
  }
  override upsertWorkspace(shard: string, ws: WorkspaceObject): void {
    this.#record(['upsertWorkspace', shard, ws], () => super.upsertWorkspace(shard, ws))
  }
  override deleteWorkspace(shard: string, ws: WorkspaceObject): void {
    this.#record(['deleteWorkspace', shard, ws], () => super.deleteWorkspace(shard, ws))
  }
  override upsertLogicalCluster(shard: string, lc: LogicalClusterObject): void {
    this.#record(['upsertLogicalCluster', shard, lc], () => super.upsertLogicalCluster(shard, lc))
  }
  override deleteLogicalCluster(shard: string, lc: LogicalClusterObject): void {
    this.#record(['deleteLogicalCluster', shard, lc], () => super.deleteLogicalCluster(shard, lc))
  }
}

const clusterOf = (o: { metadata: { annotations?: Record<string, string> } }): string => o.metadata.annotations?.[ClusterAnnotation] ?? ''

/**
 * The auth-config index's state is a keyed map of the latest objects (a WorkspaceType by shard,
 * type key and cluster; a WAC by shard, cluster and name), so it keeps those objects beside the
 * index to replay them; the WACs are few.
 */
class RecordingAuthConfigIndex extends AuthConfigIndex {
  readonly #types = new Map<string, [string, WorkspaceTypeObject]>()
  readonly #configs = new Map<string, [string, AuthConfigObject]>()

  constructor(private readonly sink: Sink) {
    super()
  }

  override upsertWorkspaceType(shard: string, wst: WorkspaceTypeObject): void {
    super.upsertWorkspaceType(shard, wst)
    this.#types.set(typeKey(shard, wst), [shard, wst])
    this.sink(['upsertWorkspaceType', shard, wst])
  }
  override deleteWorkspaceType(shard: string, wst: WorkspaceTypeObject): void {
    super.deleteWorkspaceType(shard, wst)
    if (this.#types.delete(typeKey(shard, wst))) this.sink(['deleteWorkspaceType', shard, wst])
  }
  override upsertAuthConfig(shard: string, wac: AuthConfigObject): void {
    super.upsertAuthConfig(shard, wac)
    this.#configs.set(configKey(shard, wac), [shard, wac])
    this.sink(['upsertAuthConfig', shard, wac])
  }
  override deleteAuthConfig(shard: string, wac: AuthConfigObject): void {
    super.deleteAuthConfig(shard, wac)
    if (this.#configs.delete(configKey(shard, wac))) this.sink(['deleteAuthConfig', shard, wac])
  }
  override deleteShard(shard: string): void {
    super.deleteShard(shard)
    let changed = false
    for (const m of [this.#types, this.#configs]) {
      for (const [k, [s]] of m) if (s === shard) changed = m.delete(k) || changed
    }
    if (changed) this.sink(['deleteAuthShard', shard])
  }

  stateOps(): AuthOp[] {
    return [
      ...[...this.#types.values()].map(([s, o]): AuthOp => ['upsertWorkspaceType', s, o]),
      ...[...this.#configs.values()].map(([s, o]): AuthOp => ['upsertAuthConfig', s, o]),
    ]
  }
}

const typeKey = (shard: string, wst: WorkspaceTypeObject): string => `${shard}|${workspaceTypeKey(wst)}|${clusterOf(wst)}`
const configKey = (shard: string, wac: AuthConfigObject): string => authConfigRefKey({ shard, cluster: clusterOf(wac), name: wac.metadata.name })

/** The primary's side: the indexes the controller writes, the calls they report, and the snapshot. */
export class IndexRecorder {
  readonly index: WorkspaceIndex
  readonly authIndex: AuthConfigIndex | undefined
  readonly #listeners = new Set<Sink>()

  constructor(o: { withAuthIndex: boolean }) {
    const sink: Sink = (op) => {
      for (const fn of this.#listeners) fn(op)
    }
    this.index = new RecordingWorkspaceIndex(sink)
    this.authIndex = o.withAuthIndex ? new RecordingAuthConfigIndex(sink) : undefined
  }

  /** Every later call that changed an index, in order. */
  onOp(fn: Sink): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }

  /** Calls that rebuild both indexes, as they are now, in empty ones. */
  snapshotOps(): RelayOp[] {
    const auth = this.authIndex as RecordingAuthConfigIndex | undefined
    return [...this.index.stateOps(), ...(auth?.stateOps() ?? [])]
  }
}

/** The worker's side: one call applied to its copies. An auth call without an auth index is ignored (both sides share the gate). */
export function applyRelayOp(index: Pick<WorkspaceIndex, IndexOp[0]>, authIndex: AuthConfigIndex | undefined, op: RelayOp): void {
  switch (op[0]) {
    case 'upsertWorkspaceType': return authIndex?.upsertWorkspaceType(op[1], op[2])
    case 'deleteWorkspaceType': return authIndex?.deleteWorkspaceType(op[1], op[2])
    case 'upsertAuthConfig': return authIndex?.upsertAuthConfig(op[1], op[2])
    case 'deleteAuthConfig': return authIndex?.deleteAuthConfig(op[1], op[2])
    case 'deleteAuthShard': return authIndex?.deleteShard(op[1])
    default: return applyIndexOp(index, op)
  }
}
