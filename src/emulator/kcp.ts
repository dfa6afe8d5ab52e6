// kcp behaviour on top of the shards' stores: logical clusters, workspace path resolution, scheduling
// (Scheduling → Initializing → Ready on a shard chosen by spec.location.selector), deletion cascades,
// Shard and APIExport objects in `root`.
import { randomBytes } from 'node:crypto'
import type { ClusterDirectory } from './context.js'
import { conditionsOf, unschedulable, workspaceConditions } from './conditions.js'
import { CLUSTER_ANNOTATION, type WriteHooks } from './core.js'
import { rewriteExternalURLs } from './external-url.js'
import { APIEXPORTS, LOGICALCLUSTERS, NAMESPACES, SHARDS, WORKSPACES, WORKSPACETYPES, resourceKey, type ResourceDef } from './resources.js'
import type { Shard } from './shard.js'
import { forbiddenPath } from './status.js'
import type { KubeObject, Store, StoredObject } from './store.js'
import type { IdentityHashGroup } from './types.js'

export const PATH_ANNOTATION = 'kcp.io/path'
export const TYPE_ANNOTATION = 'internal.tenancy.kcp.io/type'
export const SHARD_ANNOTATION = 'core.kcp.io/shard'
const LC_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function randomClusterName(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'
  return [...randomBytes(13)].map((b) => alphabet[b % 36]).join('')
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
type Obj = Record<string, unknown>

export interface KcpOptions {
  externalURL?: string
  schedulingDelayMs: number
  strictClusters: boolean
  identityHashes: Record<IdentityHashGroup, string>
}

export class UnschedulableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnschedulableError'
  }
}

export class Kcp implements ClusterDirectory {
  readonly shards = new Map<string, Shard>()
  rootShardName = ''
  /** `shard/cluster/name` of a workspace → shard forced by createWorkspace. */
  readonly forcedShard = new Map<string, string>()
  /** Scheduling in flight, by `shard/cluster/name`; settles when the workspace is Ready or unschedulable. */
  readonly scheduling = new Map<string, Promise<void>>()
  private closed = false

  constructor(private readonly o: KcpOptions) {}

  get strictClusters(): boolean {
    return this.o.strictClusters
  }

  get root(): Shard {
    return this.shards.get(this.rootShardName) as Shard
  }

  /** The root shard's store stands in for the cache server: it outlives the root shard's server being stopped. */
  adminViewStore(): Store {
    return this.root.store
  }

  identityHash(group: IdentityHashGroup): string {
    return this.o.identityHashes[group]
  }

  close(): void {
    this.closed = true
  }

  hooks(shard: Shard): WriteHooks {
    return {
      afterWrite: (kind, def, obj, prev) => this.afterWrite(shard, kind, def, obj, prev),
      // kcp's pathannotation admission: a WorkspaceType carries its cluster's canonical path, which
      // together with its name is the type a LogicalCluster's internal.tenancy.kcp.io/type names.
      admit: (def, cluster, obj) => {
        if (def === WORKSPACETYPES) obj.metadata.annotations = { ...obj.metadata.annotations, [PATH_ANNOTATION]: this.pathOf(shard, cluster) }
      },
    }
  }

  clusterExists(shard: string, cluster: string): boolean {
    return this.shards.get(shard)?.store.get(resourceKey(LOGICALCLUSTERS), cluster, '', 'cluster') !== undefined
  }

  /** Which shard hosts a logical cluster. */
  shardOf(cluster: string): Shard | undefined {
    for (const s of this.shards.values()) if (this.clusterExists(s.name, cluster)) return s
    return undefined
  }

  resolveSegment(shard: string, segment: string): string {
    if (!segment.includes(':')) return segment
    const r = this.resolvePath(segment)
    return r !== undefined && r.shard === shard ? r.cluster : segment
  }

  ensureCluster(shard: string, cluster: string): void {
    if (!LC_NAME.test(cluster)) throw forbiddenPath('', 'create', `/clusters/${cluster}`, 'workspace access not permitted')
    const s = this.shards.get(shard)
    if (s) this.createLogicalCluster(s, cluster, { path: cluster, type: 'root:universal', phase: 'Ready' })
  }

  /** Resolves `root`, `root:org:team`, an LC name, or `<lc>:child`. Mounts do not resolve. */
  resolvePath(path: string): { cluster: string; shard: string } | undefined {
    const segs = path.split(':')
    if (segs.some((s) => s === '')) return undefined
    let shard = this.shardOf(segs[0])
    if (!shard) return undefined
    let cluster = segs[0]
    for (const name of segs.slice(1)) {
      const ws = shard.store.get(resourceKey(WORKSPACES), cluster, '', name)
      const spec = (ws?.obj.spec ?? {}) as Obj
      if (typeof spec.cluster !== 'string' || spec.cluster === '') return undefined
      cluster = spec.cluster
      shard = this.shardOf(cluster)
      if (!shard) return undefined
    }
    return { cluster, shard: shard.name }
  }

  /** Canonical path of a logical cluster (its `kcp.io/path` annotation). */
  pathOf(shard: Shard, cluster: string): string {
    return shard.store.get(resourceKey(LOGICALCLUSTERS), cluster, '', 'cluster')?.obj.metadata.annotations?.[PATH_ANNOTATION] ?? cluster
  }

  createLogicalCluster(shard: Shard, cluster: string, o: { path: string; type: string; phase: string; owner?: Obj }): void {
    if (this.clusterExists(shard.name, cluster)) return
    const spec: Obj = { directlyDeletable: o.owner === undefined, initializers: [], terminators: [] }
    if (o.owner) spec.owner = o.owner
    shard.core.create(LOGICALCLUSTERS, cluster, '', {
      metadata: { name: 'cluster', annotations: { [PATH_ANNOTATION]: o.path, [TYPE_ANNOTATION]: o.type, [SHARD_ANNOTATION]: shard.name } },
      spec,
      status: { URL: `${this.externalURL(shard)}/clusters/${o.path}`, phase: o.phase, conditions: [], initializers: [], terminators: [] },
    }, { fieldManager: 'kcp' })
    if (!shard.store.get(resourceKey(NAMESPACES), cluster, '', 'default')) shard.core.create(NAMESPACES, cluster, '', { metadata: { name: 'default' } }, { fieldManager: 'kcp' })
  }

  externalURL(shard: Shard): string {
    return (this.o.externalURL ?? shard.baseURL).replace(/\/+$/, '')
  }

  /** Points every Shard, Workspace and LogicalCluster URL at `url` (undefined: back to each shard's baseURL). */
  setExternalURL(url: string | undefined): void {
    if (url === undefined) delete this.o.externalURL
    else this.o.externalURL = url
    rewriteExternalURLs(this)
  }

  /** The root LC, the four APIExports with their identities, `default`: what kcp bootstraps in `root`. */
  bootstrapRoot(): void {
    const root = this.root
    this.createLogicalCluster(root, 'root', { path: 'root', type: 'root:root', phase: 'Ready' })
    for (const [name, hash] of Object.entries(this.o.identityHashes)) {
      root.core.create(APIEXPORTS, 'root', '', { metadata: { name }, spec: {}, status: { identityHash: hash } }, { fieldManager: 'kcp' })
    }
  }

  shardObject(s: Shard): KubeObject {
    const metadata: KubeObject['metadata'] = { name: s.name }
    if (Object.keys(s.labels).length > 0) metadata.labels = { ...s.labels }
    return {
      metadata,
      spec: { baseURL: s.baseURL, externalURL: this.externalURL(s), virtualWorkspaceURL: s.baseURL },
      status: { capacity: {}, conditions: [] },
    }
  }

  /** Creates or refreshes the Shard object of `s` in `root`. */
  publishShard(s: Shard): void {
    const cur = this.root.store.get(resourceKey(SHARDS), 'root', '', s.name)
    const obj = this.shardObject(s)
    if (!cur) this.root.core.create(SHARDS, 'root', '', obj, { fieldManager: 'kcp' })
    else this.root.core.update(SHARDS, 'root', '', s.name, { ...obj, metadata: { ...obj.metadata, annotations: cur.obj.metadata.annotations } }, { fieldManager: 'kcp' })
  }

  unpublishShard(name: string): void {
    const cur = this.root.store.get(resourceKey(SHARDS), 'root', '', name)
    if (cur) this.root.core.deleteStored(cur)
  }

  private afterWrite(shard: Shard, kind: 'create' | 'update' | 'delete', def: ResourceDef, obj: StoredObject, prev?: StoredObject): void {
    if (def !== WORKSPACES) return
    if (kind === 'create') {
      const key = `${shard.name}/${obj.cluster}/${obj.name}`
      const p = this.schedule(shard, obj.cluster, obj.name).finally(() => this.scheduling.delete(key))
      p.catch(() => {}) // observed by createWorkspace; API-created workspaces just stay in Scheduling
      this.scheduling.set(key, p)
    } else if (kind === 'delete') this.cascade((prev ?? obj).obj)
  }

  /** Deletes the workspace's logical cluster and all of its objects (nested workspaces cascade in turn). */
  private cascade(ws: KubeObject): void {
    const cluster = (ws.spec as Obj | undefined)?.cluster
    if (typeof cluster !== 'string' || cluster === '') return
    const shard = this.shardOf(cluster)
    if (!shard) return
    const objects = shard.store.clusterObjects(cluster)
    const lc = objects.filter((o) => o.res === resourceKey(LOGICALCLUSTERS))
    for (const o of objects.filter((x) => x.res !== resourceKey(LOGICALCLUSTERS))) {
      if (shard.store.get(o.res, o.cluster, o.namespace, o.name)) shard.core.deleteStored(o)
    }
    for (const o of lc) shard.core.deleteStored(o)
  }

  private pickShard(selector: Record<string, string> | undefined, forced: string | undefined): Shard {
    if (forced !== undefined) {
      const s = this.shards.get(forced)
      if (!s) throw new UnschedulableError(`shard ${JSON.stringify(forced)} does not exist`)
      return s
    }
    const candidates = [...this.shards.values()].filter((s) => s.running && Object.entries(selector ?? {}).every(([k, v]) => s.labels[k] === v))
    if (candidates.length === 0) throw new UnschedulableError(`no shard matches the location selector ${JSON.stringify(selector ?? {})}`)
    return candidates[Math.floor(Math.random() * candidates.length)]
  }

  private async schedule(parent: Shard, parentCluster: string, name: string): Promise<void> {
    const key = `${parent.name}/${parentCluster}/${name}`
    const forced = this.forcedShard.get(key)
    this.forcedShard.delete(key)
    await sleep(this.o.schedulingDelayMs)
    const current = (): StoredObject | undefined => (this.closed ? undefined : parent.store.get(resourceKey(WORKSPACES), parentCluster, '', name))
    let ws = current()
    if (!ws) return
    const spec = (ws.obj.spec ?? {}) as Obj
    if (spec.mount !== undefined && spec.mount !== null) {
      this.setPhase(parent, ws, 'Ready')
      return
    }
    const selector = ((spec.location as Obj | undefined)?.selector as Obj | undefined)?.matchLabels as Record<string, string> | undefined
    let target: Shard
    try {
      target = this.pickShard(selector, forced)
    } catch (e) {
      this.setStatus(parent, ws, { phase: 'Scheduling', conditions: unschedulable(conditionsOf(ws.obj.status), (e as Error).message) })
      throw e
    }
    const type = (spec.type ?? { name: 'universal', path: 'root' }) as { name?: string; path?: string }
    const typeRef = `${type.path ?? 'root'}:${type.name ?? 'universal'}`
    const path = `${this.pathOf(parent, parentCluster)}:${name}`
    const cluster = randomClusterName()
    this.createLogicalCluster(target, cluster, {
      path, type: typeRef, phase: 'Initializing',
      owner: { apiVersion: 'tenancy.kcp.io/v1alpha1', resource: 'workspaces', name, cluster: parentCluster, uid: ws.obj.metadata.uid },
    })
    const obj = structuredClone(ws.obj)
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [SHARD_ANNOTATION]: target.name }
    obj.spec = { ...spec, type: { name: type.name ?? 'universal', path: type.path ?? 'root' }, cluster, URL: `${this.externalURL(target)}/clusters/${path}` }
    ws = parent.core.update(WORKSPACES, parentCluster, '', name, obj, { fieldManager: 'kcp' })
    this.setPhase(parent, ws, 'Initializing')
    await sleep(this.o.schedulingDelayMs)
    ws = current()
    if (!ws) return
    this.setLogicalClusterPhase(target, cluster, 'Ready')
    this.setPhase(parent, ws, 'Ready')
  }

  setStatus(shard: Shard, ws: StoredObject, status: Obj): StoredObject {
    const obj = structuredClone(ws.obj)
    obj.status = { conditions: [], initializers: [], terminators: [], ...((obj.status ?? {}) as Obj), ...status }
    return shard.core.update(WORKSPACES, ws.cluster, '', ws.name, obj, { fieldManager: 'kcp', subresource: 'status' })
  }

  /** Moves the workspace to `phase` with the conditions kcp sets for it (conditions.ts). */
  setPhase(shard: Shard, ws: StoredObject, phase: string): StoredObject {
    const mount = (ws.obj.spec as Obj | undefined)?.mount
    return this.setStatus(shard, ws, { phase, conditions: workspaceConditions(conditionsOf(ws.obj.status), phase, { mount: mount !== undefined && mount !== null }) })
  }

  setLogicalClusterPhase(shard: Shard, cluster: string, phase: string): void {
    const lc = shard.store.get(resourceKey(LOGICALCLUSTERS), cluster, '', 'cluster')
    if (!lc) return
    const obj = structuredClone(lc.obj)
    obj.status = { ...((obj.status ?? {}) as Obj), phase }
    shard.core.update(LOGICALCLUSTERS, cluster, '', 'cluster', obj, { fieldManager: 'kcp', subresource: 'status' })
  }

  /** The Workspace object for a path like `root:org` (lives in the parent's LC). */
  findWorkspace(path: string): { shard: Shard; ws: StoredObject } | undefined {
    const i = path.lastIndexOf(':')
    if (i < 0) return undefined
    const parent = this.resolvePath(path.slice(0, i))
    if (!parent) return undefined
    const shard = this.shards.get(parent.shard) as Shard
    const ws = shard.store.get(resourceKey(WORKSPACES), parent.cluster, '', path.slice(i + 1))
    return ws ? { shard, ws } : undefined
  }
}

export { CLUSTER_ANNOTATION }
