// The watches of one shard (wildcard across its logical clusters): Workspaces and LogicalClusters
// feeding the routing index and, with the WorkspaceAuthentication gate, WorkspaceTypes and
// WorkspaceAuthenticationConfigurations feeding the auth-config index, all under the shard's name.
import type { Logger } from 'pino'
import { KubeClient, type KubeClientOptions } from '../kube/client.js'
import { withServer, type KubeCredentials } from '../kube/kubeconfig.js'
import { Reflector, type EventInfo, type KubeObject, type ReflectorTuning } from '../kube/reflector.js'
import type { AuthConfigIndex } from '../index/auth-configs.js'
import type { RoutingIndexWriter } from '../index/types.js'
import { changeTime, type ControllerMetrics, type IndexEventType } from './metrics.js'
import { trimAuthConfig, trimLogicalCluster, trimWorkspace, trimWorkspaceType } from './trim.js'

export const workspacesPath = '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces'
export const logicalClustersPath = '/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters'
export const workspaceTypesPath = '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspacetypes'
export const authConfigsPath = '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaceauthenticationconfigurations'

export interface ShardWatchDeps {
  /** Credentials and CA only: each shard's spec.baseURL is the server. */
  shardsConfig: KubeCredentials
  index: RoutingIndexWriter
  /** With the WorkspaceAuthentication gate: WorkspaceTypes and WACs are watched into it. */
  authIndex?: AuthConfigIndex
  metrics: ControllerMetrics
  logger: Logger
  tuning: ReflectorTuning
  clientOptions: KubeClientOptions
  /** Called whenever the sync state may have changed. */
  onChange: () => void
}

type Resource = 'workspaces' | 'logicalclusters' | 'workspacetypes' | 'workspaceauthenticationconfigurations'
type Obj = KubeObject

/** One watched resource: where, how it is trimmed, and what an event does to an index. */
interface WatchSpec {
  resource: Resource
  path: string
  transform: (o: Obj) => Obj
  upsert: (shard: string, o: Obj) => void
  remove: (shard: string, o: Obj) => void
}

function watchSpecs(index: RoutingIndexWriter, authIndex: AuthConfigIndex | undefined): WatchSpec[] {
  const specs: WatchSpec[] = [
    { resource: 'workspaces', path: workspacesPath, transform: trimWorkspace, upsert: (s, o) => index.upsertWorkspace(s, o), remove: (s, o) => index.deleteWorkspace(s, o) },
    { resource: 'logicalclusters', path: logicalClustersPath, transform: trimLogicalCluster, upsert: (s, o) => index.upsertLogicalCluster(s, o), remove: (s, o) => index.deleteLogicalCluster(s, o) },
  ]
  if (authIndex !== undefined) {
    specs.push(
      { resource: 'workspacetypes', path: workspaceTypesPath, transform: trimWorkspaceType, upsert: (s, o) => authIndex.upsertWorkspaceType(s, o), remove: (s, o) => authIndex.deleteWorkspaceType(s, o) },
      { resource: 'workspaceauthenticationconfigurations', path: authConfigsPath, transform: trimAuthConfig, upsert: (s, o) => authIndex.upsertAuthConfig(s, o), remove: (s, o) => authIndex.deleteAuthConfig(s, o) },
    )
  }
  return specs
}

export class ShardWatch {
  readonly startedAt: number
  synced = false
  baseURL: string
  private client: KubeClient
  private reflectors: Reflector<Obj>[]
  private readonly specs: WatchSpec[]
  private stopped = false
  private moving: Promise<void> = Promise.resolve()

  constructor(
    readonly name: string,
    baseURL: string,
    readonly addedAfterReady: boolean,
    private readonly deps: ShardWatchDeps,
  ) {
    this.baseURL = baseURL
    this.startedAt = Date.now()
    this.specs = watchSpecs(deps.index, deps.authIndex)
    ;({ client: this.client, reflectors: this.reflectors } = this.build(baseURL, []))
  }

  get lastError(): string | undefined {
    for (const r of this.reflectors) if (r.lastError !== undefined) return r.lastError.message
    return undefined
  }

  /** Objects currently held (for leak checks). */
  get size(): number {
    return this.reflectors.reduce((n, r) => n + r.items().size, 0)
  }

  private build(baseURL: string, stores: readonly ReadonlyMap<string, Obj>[]) {
    const client = new KubeClient(withServer(this.deps.shardsConfig, baseURL), this.deps.clientOptions)
    const reflectors = this.specs.map((spec, i) => {
      const r = new Reflector<Obj>({ ...this.deps.tuning, client, path: spec.path, name: `shard ${this.name} ${spec.resource}`, initialStore: stores[i], transform: spec.transform })
      this.wire(r, spec)
      return r
    })
    return { client, reflectors }
  }

  private wire(r: Reflector<Obj>, spec: WatchSpec): void {
    const { metrics, logger } = this.deps
    const { resource } = spec
    // Bound children: prom-client hashes a label object on every inc(), measurable at 100k objects.
    const counters = {
      add: metrics.indexEvents.labels(this.name, resource, 'add'),
      update: metrics.indexEvents.labels(this.name, resource, 'update'),
      delete: metrics.indexEvents.labels(this.name, resource, 'delete'),
    }
    const apply = (type: IndexEventType, obj: Obj, info: EventInfo, fn: (shard: string, o: Obj) => void) => {
      fn(this.name, obj)
      counters[type].inc()
      // Lag is only meaningful for watch events; a relist reports what changed while we were away.
      if (info.source !== 'watch') return
      const ts = type === 'add' ? obj.metadata.creationTimestamp : type === 'delete' ? obj.metadata.deletionTimestamp : undefined
      metrics.propagation.observe({ resource, type }, (Date.now() - changeTime(ts, info.receivedAt)) / 1000)
    }
    r.on('add', (o, info) => apply('add', o, info, spec.upsert))
    r.on('update', (o, _old, info) => apply('update', o, info, spec.upsert))
    r.on('delete', (o, info) => apply('delete', o, info, spec.remove))
    r.on('relist', (why) => {
      if (why !== 'initial') metrics.relists.inc({ shard: this.name, resource })
    })
    r.on('restart', () => metrics.watchRestarts.inc({ shard: this.name, resource }))
    r.on('error', (err) => {
      logger.warn({ shard: this.name, resource, err: err.message }, 'shard watch failed, backing off')
      this.deps.onChange()
    })
    r.on('synced', () => this.checkSynced())
  }

  private checkSynced(): void {
    if (this.synced || !this.reflectors.every((r) => r.synced)) return
    this.synced = true
    this.deps.logger.info({ shard: this.name, ms: Date.now() - this.startedAt }, 'shard synced')
    this.deps.onChange()
  }

  start(): void {
    for (const r of this.reflectors) r.start()
  }

  /**
   * Moves the watches to a new baseURL. The new reflectors start from the objects already
   * indexed, so their first list replaces them (emitting only real differences) instead of
   * dropping the shard's routes in between.
   */
  moveTo(baseURL: string): Promise<void> {
    // Serialised: two quick URL changes must not interleave their stop/start.
    this.moving = this.moving.then(() => this.doMove(baseURL))
    return this.moving
  }

  private async doMove(baseURL: string): Promise<void> {
    if (this.stopped || baseURL === this.baseURL) return
    this.baseURL = baseURL
    const old = { client: this.client, reflectors: this.reflectors }
    // Stop first so no late event from the old URL lands after the new list.
    await Promise.all(old.reflectors.map((r) => r.stop()))
    await old.client.close()
    if (this.stopped) return
    ;({ client: this.client, reflectors: this.reflectors } = this.build(baseURL, old.reflectors.map((r) => r.items())))
    // The shard was already routable; keep reporting it as synced if it was.
    this.start()
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.moving
    await Promise.all(this.reflectors.map((r) => r.stop()))
    await this.client.close()
  }
}
