// The index controller: resolves APIExport identities, watches Shards in `root` on the
// root shard, runs a ShardWatch per shard at its spec.baseURL, and computes readiness.
// With peer kubeconfigs (--shard-peer-kubeconfig) identities and Shards come from a discovery
// source that fails over between the peers' and the root shard's Admin workspace (peers.ts).
// With an auth-config index (WorkspaceAuthentication gate) every shard's WorkspaceTypes and
// WorkspaceAuthenticationConfigurations are watched too, and a shard is synced only once they are.
import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'
import { KubeClient, type KubeClientOptions, type ListWatchClient } from '../kube/client.js'
import type { KubeClientConfig, KubeCredentials } from '../kube/kubeconfig.js'
import { Reflector, type ReflectorTuning } from '../kube/reflector.js'
import type { AuthConfigIndex } from '../index/auth-configs.js'
import type { RoutingIndexWriter, ShardObject } from '../index/types.js'
import { decorateWildcardPath, resolveIdentities } from './identity.js'
import { DiscoverySource } from './discovery-source.js'
import { createControllerMetrics } from './metrics.js'
import { discoveryEndpoints, withoutClusterPath, type DiscoveryEndpoint } from './peers.js'
import { evaluateReadiness, nextDeadline, type ReadinessState } from './readiness.js'
import { ShardWatch } from './shard-watch.js'
import type { IndexController, ReadinessReport } from './types.js'

export const shardsPath = '/clusters/root/apis/core.kcp.io/v1alpha1/shards'

export interface IndexControllerOptions {
  rootConfig: KubeClientConfig
  /**
   * --shard-peer-kubeconfig: shards whose Admin workspace (with the root shard's) serves Shards and
   * identities, so discovery survives the root shard being down. Empty: the root shard only, as upstream.
   */
  peerConfigs?: readonly KubeClientConfig[]
  /** How long a failed discovery endpoint is tried last, default 30 s. */
  peerCooldownMs?: number
  /** Credentials and CA only: each shard's spec.baseURL is the server. */
  shardsConfig: KubeCredentials
  index: RoutingIndexWriter
  /** WorkspaceAuthentication gate on: WorkspaceTypes and WACs of every shard are watched into it. */
  authIndex?: AuthConfigIndex
  registry: Registry
  logger: Logger
  /** A shard that has not synced after this long stops blocking readiness. Default 30 000. */
  shardSyncTimeoutMs?: number
  /** Reflector tuning (backoff, watchdog, clock) for every watch. */
  reflector?: ReflectorTuning
  /** Identity poll interval, default 500 ms (upstream). */
  identityIntervalMs?: number
  /** Timeouts of the HTTP clients. */
  client?: Omit<KubeClientOptions, 'rewritePath'>
}

export function createIndexController(opts: IndexControllerOptions): IndexController {
  const logger = opts.logger.child({ component: 'index-controller' })
  const metrics = createControllerMetrics(opts.registry, opts.index)
  const shardSyncTimeoutMs = opts.shardSyncTimeoutMs ?? 30_000
  const tuning = opts.reflector ?? {}
  const identities = new Map<string, string>()
  const clientOptions: KubeClientOptions = { ...opts.client, rewritePath: (p) => decorateWildcardPath(p, identities) }
  const shards = new Map<string, ShardWatch>()
  const abort = new AbortController()
  let identitiesResolved = false
  let identityMessage: string | undefined
  let rootClient: (ListWatchClient & { close(): Promise<void> }) | undefined
  let shardsClient: (ListWatchClient & { close(): Promise<void> }) | undefined
  let shardsSource: DiscoverySource | undefined
  const peers = opts.peerConfigs ?? []
  // Computed now so a peer kubeconfig with a path fails createIndexController, i.e. start-up.
  const endpoints = peers.length > 0 ? discoveryEndpoints(opts.rootConfig, peers) : undefined
  const failovers = endpoints
    ? new Counter({ name: 'kcp_front_proxy_discovery_failovers_total', help: 'Discovery requests (Shards, APIExport identities) moved away from an endpoint that failed, by endpoint (peer-<n> in --shard-peer-kubeconfig order, root).', labelNames: ['endpoint'], registers: [opts.registry] })
    : undefined
  let shardsReflector: Reflector<ShardObject> | undefined
  let started = false
  let stopped = false
  let ready = false
  let deadlineTimer: NodeJS.Timeout | undefined
  let resolveReady!: () => void
  let rejectReady!: (err: Error) => void
  const readyPromise = new Promise<void>((resolve, reject) => {
    resolveReady = resolve
    rejectReady = reject
  })
  // whenReady() callers get the rejection; an unobserved one must not crash the process.
  readyPromise.catch(() => undefined)
  let running: Promise<void> = Promise.resolve()

  const state = (): ReadinessState => ({
    now: Date.now(),
    shardSyncTimeoutMs,
    identities: { resolved: identitiesResolved, message: identityMessage },
    shardsList: { synced: shardsReflector?.synced ?? false, lastError: shardsReflector?.lastError?.message },
    ...(shardsSource ? { discovery: shardsSource.status() } : {}),
    shards: [...shards.values()].map((w) => ({ name: w.name, synced: w.synced, startedAt: w.startedAt, addedAfterReady: w.addedAfterReady, lastError: w.lastError })),
  })

  /** Re-evaluates readiness after any change and arms a timer for the next shard timeout. */
  const update = () => {
    if (stopped) return
    const s = state()
    if (!ready && evaluateReadiness(s).ready) {
      ready = true
      logger.info('index controller ready')
      resolveReady()
    }
    if (deadlineTimer) clearTimeout(deadlineTimer)
    deadlineTimer = undefined
    const next = ready ? undefined : nextDeadline(s)
    if (next !== undefined) {
      deadlineTimer = setTimeout(update, next - s.now + 5)
      deadlineTimer.unref()
    }
  }

  const deps = { shardsConfig: opts.shardsConfig, index: opts.index, ...(opts.authIndex !== undefined ? { authIndex: opts.authIndex } : {}), metrics, logger, tuning, clientOptions, onChange: update }

  const addShard = (shard: ShardObject) => {
    const { name } = shard.metadata
    const baseURL = shard.spec?.baseURL
    if (!baseURL || !URL.canParse(baseURL)) {
      logger.warn({ shard: name, baseURL }, 'Shard has no valid spec.baseURL, ignoring it')
      return
    }
    opts.index.upsertShard(name, baseURL)
    const existing = shards.get(name)
    if (existing) {
      if (existing.baseURL !== baseURL) {
        logger.info({ shard: name, from: existing.baseURL, to: baseURL }, 'shard baseURL changed, moving its watches')
        existing.moveTo(baseURL).catch((err: Error) => logger.error({ shard: name, err: err.message }, 'moving shard watches failed'))
      }
      return
    }
    logger.info({ shard: name, baseURL }, 'shard added, starting its watches')
    const w = new ShardWatch(name, baseURL, ready, deps)
    shards.set(name, w)
    w.start()
    update()
  }

  const removeShard = (shard: ShardObject) => {
    const { name } = shard.metadata
    const w = shards.get(name)
    shards.delete(name)
    logger.info({ shard: name }, 'shard removed, stopping its watches')
    const done = w ? w.stop() : Promise.resolve()
    // Delete after the watches stopped, so no late event re-adds the shard's clusters.
    done
      .catch((err: Error) => logger.error({ shard: name, err: err.message }, 'stopping shard watches failed'))
      .finally(() => {
        if (shards.has(name)) return
        opts.index.deleteShard(name)
        opts.authIndex?.deleteShard(name)
      })
    update()
  }

  const source = (list: DiscoveryEndpoint[]): DiscoverySource =>
    new DiscoverySource({
      endpoints: list.map((e) => ({ label: e.label, client: new KubeClient(e.config, clientOptions) })),
      ...(opts.peerCooldownMs !== undefined ? { cooldownMs: opts.peerCooldownMs } : {}),
      onFailover: (label, reason) => {
        failovers?.inc({ endpoint: label })
        logger.warn({ endpoint: label, reason }, 'discovery endpoint failed, trying the next one')
      },
    })

  const run = async () => {
    if (endpoints) {
      logger.info({ endpoints: endpoints.shards.map((e) => `${e.label}=${e.config.server.origin}`) }, 'discovering shards through the Admin workspace of peers and the root shard')
      rootClient = source(endpoints.identities)
      shardsClient = shardsSource = source(endpoints.shards)
    } else {
      rootClient = shardsClient = new KubeClient(withoutClusterPath(opts.rootConfig), clientOptions)
    }
    const resolved = await resolveIdentities(rootClient, {
      intervalMs: opts.identityIntervalMs,
      signal: abort.signal,
      onAttemptFailed: (msg) => {
        identityMessage = msg
        logger.debug({ reason: msg }, 'APIExport identities not resolved yet, retrying')
      },
    })
    for (const [k, v] of resolved) identities.set(k, v)
    identitiesResolved = true
    identityMessage = undefined
    logger.info('APIExport identities resolved')
    if (stopped) return
    shardsReflector = new Reflector<ShardObject>({ ...tuning, client: shardsClient, path: shardsPath, name: endpoints ? 'discovered shards' : 'root shards' })
    shardsReflector.on('add', (s) => addShard(s))
    shardsReflector.on('update', (s) => addShard(s))
    shardsReflector.on('delete', (s) => removeShard(s))
    shardsReflector.on('synced', update)
    shardsReflector.on('relist', (why) => {
      if (why !== 'initial') metrics.relists.inc({ shard: '', resource: 'shards' })
    })
    shardsReflector.on('restart', () => metrics.watchRestarts.inc({ shard: '', resource: 'shards' }))
    shardsReflector.on('error', (err) => logger.warn({ err: err.message }, 'Shards watch failed, backing off'))
    shardsReflector.start()
    update()
  }

  return {
    async start() {
      if (started) return
      started = true
      running = run().catch((err: Error) => {
        if (!stopped) logger.error({ err: err.message }, 'index controller failed')
      })
    },
    async stop() {
      if (stopped) return
      stopped = true
      abort.abort()
      if (deadlineTimer) clearTimeout(deadlineTimer)
      if (!ready) rejectReady(new Error('index controller stopped before it became ready'))
      await running
      await shardsReflector?.stop()
      await Promise.all([...shards.values()].map((w) => w.stop()))
      shards.clear()
      await rootClient?.close()
      if (shardsClient !== rootClient) await shardsClient?.close()
    },
    readiness(): ReadinessReport {
      const report = evaluateReadiness(state())
      // Readiness is monotonic (see readiness.ts); report the latch so callers never see it flap.
      return { ...report, ready: ready || report.ready }
    },
    whenReady() {
      return readyPromise
    },
  }
}
