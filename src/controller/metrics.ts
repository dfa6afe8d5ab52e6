// The controller's metrics, registered on the server's registry (never the global one).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { RoutingIndexReader } from '../index/types.js'

export type IndexEventType = 'add' | 'update' | 'delete'

export interface ControllerMetrics {
  watchRestarts: Counter<'shard' | 'resource'>
  relists: Counter<'shard' | 'resource'>
  indexEvents: Counter<'shard' | 'resource' | 'type'>
  propagation: Histogram<'resource' | 'type'>
}

export function createControllerMetrics(registry: Registry, index: RoutingIndexReader): ControllerMetrics {
  // Upstream's gauge (pkg/index/metrics.go), computed from the index on scrape so it can never drift.
  new Gauge({
    name: 'kcp_indexed_logicalclusters',
    help: '[ALPHA] Number of logical clusters indexed per shard.',
    labelNames: ['shard'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [shard, n] of index.indexedCounts()) this.set({ shard }, n)
    },
  })
  return {
    watchRestarts: new Counter({
      name: 'kcp_front_proxy_watch_restarts_total',
      help: 'Watch requests restarted after a previous watch ended (timeout, error, watchdog or expiry).',
      labelNames: ['shard', 'resource'],
      registers: [registry],
    }),
    relists: new Counter({
      name: 'kcp_front_proxy_relists_total',
      help: 'Lists after the initial one (after 410 Expired or an error).',
      labelNames: ['shard', 'resource'],
      registers: [registry],
    }),
    indexEvents: new Counter({
      name: 'kcp_front_proxy_index_events_total',
      help: 'Objects applied to the routing index, by change type.',
      labelNames: ['shard', 'resource', 'type'],
      registers: [registry],
    }),
    propagation: new Histogram({
      name: 'kcp_front_proxy_index_propagation_seconds',
      help: 'Time from a change on a shard (sub-second object timestamp when present and recent, else the watch event receive time) to the index applying it.',
      labelNames: ['resource', 'type'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  }
}

const subSecond = /\.\d+(Z|[+-]\d\d:\d\d)$/

/**
 * When the change happened on the shard, as well as we can tell. Kubernetes timestamps have
 * 1 s resolution, which would inflate a sub-second lag by up to a second, so an object timestamp
 * is used only when it carries fractions and lies within the last minute (clock skew guard);
 * otherwise the receive time of the watch bytes is used (then the figure is decode + apply time).
 */
export function changeTime(timestamp: string | undefined, receivedAt: number): number {
  if (timestamp === undefined || !subSecond.test(timestamp)) return receivedAt
  const ts = Date.parse(timestamp)
  if (Number.isNaN(ts) || ts > receivedAt || receivedAt - ts > 60_000) return receivedAt
  return ts
}
