// The two watches of one shard (Workspaces and LogicalClusters, wildcard across its
// logical clusters) feeding the routing index under the shard's name.
import type { Logger } from 'pino'
import { KubeClient, type KubeClientOptions } from '../kube/client.js'
import { withServer, type KubeCredentials } from '../kube/kubeconfig.js'
import { Reflector, type EventInfo, type ReflectorTuning } from '../kube/reflector.js'
import type { LogicalClusterObject, RoutingIndex, WorkspaceObject } from '../index/types.js'
import { changeTime, type ControllerMetrics, type IndexEventType } from './metrics.js'
import { trimLogicalCluster, trimWorkspace } from './trim.js'

export const workspacesPath = '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces'
export const logicalClustersPath = '/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters'

export interface ShardWatchDeps {
  /** Credentials and CA only: each shard's spec.baseURL is the server. */
  shardsConfig: KubeCredentials
  index: RoutingIndex
  metrics: ControllerMetrics
  logger: Logger
  tuning: ReflectorTuning
  clientOptions: KubeClientOptions
  /** Called whenever the sync state may have changed. */
  onChange: () => void
}

type Resource = 'workspaces' | 'logicalclusters'

export class ShardWatch {
  readonly startedAt: number
  synced = false
  baseURL: string
  private client: KubeClient
  private ws: Reflector<WorkspaceObject>
  private lc: Reflector<LogicalClusterObject>
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
    ;({ client: this.client, ws: this.ws, lc: this.lc } = this.build(baseURL, undefined, undefined))
  }

  get lastError(): string | undefined {
    return (this.ws.lastError ?? this.lc.lastError)?.message
  }

  /** Objects currently held (for leak checks). */
  get size(): number {
    return this.ws.items().size + this.lc.items().size
  }

  private build(baseURL: string, wsStore: ReadonlyMap<string, WorkspaceObject> | undefined, lcStore: ReadonlyMap<string, LogicalClusterObject> | undefined) {
    const client = new KubeClient(withServer(this.deps.shardsConfig, baseURL), this.deps.clientOptions)
    const ws = new Reflector<WorkspaceObject>({ ...this.deps.tuning, client, path: workspacesPath, name: `shard ${this.name} workspaces`, initialStore: wsStore, transform: trimWorkspace })
    const lc = new Reflector<LogicalClusterObject>({ ...this.deps.tuning, client, path: logicalClustersPath, name: `shard ${this.name} logicalclusters`, initialStore: lcStore, transform: trimLogicalCluster })
    const { index } = this.deps
    this.wire(ws, 'workspaces', (o) => index.upsertWorkspace(this.name, o), (o) => index.deleteWorkspace(this.name, o))
    this.wire(lc, 'logicalclusters', (o) => index.upsertLogicalCluster(this.name, o), (o) => index.deleteLogicalCluster(this.name, o))
    return { client, ws, lc }
  }

  private wire<T extends WorkspaceObject | LogicalClusterObject>(r: Reflector<T>, resource: Resource, upsert: (o: T) => void, del: (o: T) => void): void {
    const { metrics, logger } = this.deps
    // Bound children: prom-client hashes a label object on every inc(), measurable at 100k objects.
    const counters = {
      add: metrics.indexEvents.labels(this.name, resource, 'add'),
      update: metrics.indexEvents.labels(this.name, resource, 'update'),
      delete: metrics.indexEvents.labels(this.name, resource, 'delete'),
    }
    const apply = (type: IndexEventType, obj: T, info: EventInfo, fn: (o: T) => void) => {
      fn(obj)
      counters[type].inc()
      // Lag is only meaningful for watch events; a relist reports what changed while we were away.
      if (info.source !== 'watch') return
      const ts = type === 'add' ? obj.metadata.creationTimestamp : type === 'delete' ? obj.metadata.deletionTimestamp : undefined
      metrics.propagation.observe({ resource, type }, (Date.now() - changeTime(ts, info.receivedAt)) / 1000)
    }
    r.on('add', (o, info) => apply('add', o, info, upsert))
    r.on('update', (o, _old, info) => apply('update', o, info, upsert))
    r.on('delete', (o, info) => apply('delete', o, info, del))
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
    if (this.synced || !this.ws.synced || !this.lc.synced) return
    this.synced = true
    this.deps.logger.info({ shard: this.name, ms: Date.now() - this.startedAt }, 'shard synced')
    this.deps.onChange()
  }

  start(): void {
    this.ws.start()
    this.lc.start()
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
    const old = { client: this.client, ws: this.ws, lc: this.lc }
    // Stop first so no late event from the old URL lands after the new list.
    await Promise.all([old.ws.stop(), old.lc.stop()])
    await old.client.close()
    if (this.stopped) return
    ;({ client: this.client, ws: this.ws, lc: this.lc } = this.build(baseURL, old.ws.items(), old.lc.items()))
    // The shard was already routable; keep reporting it as synced if it was.
    this.start()
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.moving
    await Promise.all([this.ws.stop(), this.lc.stop()])
    await this.client.close()
  }
}
