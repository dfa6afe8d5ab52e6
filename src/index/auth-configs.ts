// Which WorkspaceAuthenticationConfigurations apply to a workspace type (kcp WorkspaceAuthentication,
// docs/upstream.md#workspace-authentication). Pure data like the routing index beside it: the controller feeds it the WorkspaceTypes
// and WACs it watches on every shard, src/auth/workspace builds authenticators from what it holds.
// It lives in src/index, not src/auth, so that data keeps flowing one way (shards → controller →
// index ← readers) and the controller never depends on authentication code.
import { ClusterAnnotation, PathAnnotation, type ObjectMeta } from './types.js'

export interface WorkspaceTypeObject {
  metadata: ObjectMeta
  spec?: { authenticationConfigurations?: ({ name?: string } | null)[] | null } | null
}

export interface AuthConfigObject {
  metadata: ObjectMeta
  /** `spec.jwt` is Kubernetes' JWTAuthenticator list; src/auth/workspace interprets it. */
  spec?: { jwt?: unknown } | null
}

/** Where a WAC lives: its shard, logical cluster and name. */
export interface AuthConfigRef {
  shard: string
  cluster: string
  name: string
}

export type AuthConfigChange = { type: 'upsert'; ref: AuthConfigRef; object: AuthConfigObject } | { type: 'delete'; ref: AuthConfigRef }

/** The answer for one workspace type: the WACs it names, in its order, all in its logical cluster on its shard. */
export interface AuthConfigLookup {
  shard: string
  cluster: string
  refs: readonly AuthConfigRef[]
}

/**
 * The key a LogicalCluster's `internal.tenancy.kcp.io/type` annotation names: `<kcp.io/path of the
 * WorkspaceType>:<name>` (upstream getWorkspaceTypeKey; just the name when the path is unknown).
 */
export function workspaceTypeKey(wst: WorkspaceTypeObject): string {
  const path = wst.metadata.annotations?.[PathAnnotation] ?? ''
  return path === '' ? wst.metadata.name : `${path}:${wst.metadata.name}`
}

export function authConfigRefKey(r: AuthConfigRef): string {
  return `${r.shard}|${r.cluster}|${r.name}`
}

const clusterOf = (m: ObjectMeta): string => m.annotations?.[ClusterAnnotation] ?? ''

/** A WorkspaceType as the index keeps it: the logical cluster it lives in and the WAC names it lists. */
interface TypeEntry {
  cluster: string
  names: string[]
}

export class AuthConfigIndex {
  /** shard → type key → logical cluster → names (a key could appear in two clusters only transiently). */
  readonly #types = new Map<string, Map<string, Map<string, string[]>>>()
  /** ref key → WAC. */
  readonly #configs = new Map<string, { ref: AuthConfigRef; object: AuthConfigObject }>()
  readonly #listeners = new Set<(c: AuthConfigChange) => void>()
  #shardOrder: string[] | undefined
  #generation = 0

  /** Increments on every change; readers cache per generation. */
  get generation(): number {
    return this.#generation
  }

  /** Called synchronously for every WAC change, so authenticators can be built before first use. */
  subscribe(fn: (c: AuthConfigChange) => void): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }

  upsertWorkspaceType(shard: string, wst: WorkspaceTypeObject): void {
    const names: string[] = []
    for (const r of wst.spec?.authenticationConfigurations ?? []) if (typeof r?.name === 'string' && r.name !== '') names.push(r.name)
    let byKey = this.#types.get(shard)
    if (byKey === undefined) {
      this.#types.set(shard, (byKey = new Map<string, Map<string, string[]>>()))
      this.#shardOrder = undefined
    }
    const key = workspaceTypeKey(wst)
    let byCluster = byKey.get(key)
    if (byCluster === undefined) byKey.set(key, (byCluster = new Map<string, string[]>()))
    byCluster.set(clusterOf(wst.metadata), names)
    this.#generation++
  }

  deleteWorkspaceType(shard: string, wst: WorkspaceTypeObject): void {
    const byKey = this.#types.get(shard)
    const key = workspaceTypeKey(wst)
    const byCluster = byKey?.get(key)
    if (byKey === undefined || byCluster === undefined || !byCluster.delete(clusterOf(wst.metadata))) return
    if (byCluster.size === 0) byKey.delete(key)
    if (byKey.size === 0) {
      this.#types.delete(shard)
      this.#shardOrder = undefined
    }
    this.#generation++
  }

  upsertAuthConfig(shard: string, wac: AuthConfigObject): void {
    const ref = { shard, cluster: clusterOf(wac.metadata), name: wac.metadata.name }
    this.#configs.set(authConfigRefKey(ref), { ref, object: wac })
    this.#generation++
    this.#emit({ type: 'upsert', ref, object: wac })
  }

  deleteAuthConfig(shard: string, wac: AuthConfigObject): void {
    const ref = { shard, cluster: clusterOf(wac.metadata), name: wac.metadata.name }
    if (!this.#configs.delete(authConfigRefKey(ref))) return
    this.#generation++
    this.#emit({ type: 'delete', ref })
  }

  /** Forgets everything a shard reported (upstream DeleteShard). */
  deleteShard(shard: string): void {
    const gone = [...this.#configs.values()].filter((c) => c.ref.shard === shard)
    for (const c of gone) this.#configs.delete(authConfigRefKey(c.ref))
    const hadTypes = this.#types.delete(shard)
    if (hadTypes) this.#shardOrder = undefined
    if (gone.length === 0 && !hadTypes) return
    this.#generation++
    for (const c of gone) this.#emit({ type: 'delete', ref: c.ref })
  }

  /**
   * The WACs for a workspace type key, or undefined when no shard knows the type or it lists none.
   * Deterministic where upstream takes whichever shard Go's map order yields: shards are asked in
   * name order and, within a shard, the smallest logical-cluster name wins.
   */
  lookup(typeKey: string): AuthConfigLookup | undefined {
    for (const shard of this.#shards()) {
      const byCluster = this.#types.get(shard)?.get(typeKey)
      if (byCluster === undefined) continue
      const entry = firstEntry(byCluster)
      if (entry.names.length === 0) return undefined
      return { shard, cluster: entry.cluster, refs: entry.names.map((name) => ({ shard, cluster: entry.cluster, name })) }
    }
    return undefined
  }

  /** The stored WAC, or undefined when the type names one that does not exist (yet). */
  authConfig(ref: AuthConfigRef): AuthConfigObject | undefined {
    return this.#configs.get(authConfigRefKey(ref))?.object
  }

  /** Every WAC, ordered by shard, cluster, name. */
  authConfigs(): { ref: AuthConfigRef; object: AuthConfigObject }[] {
    return [...this.#configs.values()].sort((a, b) => compare(authConfigRefKey(a.ref), authConfigRefKey(b.ref)))
  }

  /** Sizes, for tests and leak checks. */
  sizes(): { shards: number; types: number; configs: number } {
    let types = 0
    for (const byKey of this.#types.values()) for (const byCluster of byKey.values()) types += byCluster.size
    return { shards: this.#types.size, types, configs: this.#configs.size }
  }

  #shards(): string[] {
    this.#shardOrder ??= [...this.#types.keys()].sort(compare)
    return this.#shardOrder
  }

  #emit(c: AuthConfigChange): void {
    for (const fn of this.#listeners) fn(c)
  }
}

function firstEntry(byCluster: Map<string, string[]>): TypeEntry {
  let best: TypeEntry | undefined
  for (const [cluster, names] of byCluster) if (best === undefined || compare(cluster, best.cluster) < 0) best = { cluster, names }
  return best as TypeEntry
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
