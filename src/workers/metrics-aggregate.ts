// /metrics with workers: every process keeps its own registry (the primary: the controller's
// and process families; a worker: the proxy's, authentication's and process families), and
// any worker's /metrics answers their aggregate, made by the primary with prom-client's
// AggregatorRegistry.aggregate: counters and histograms summed per label set, gauges summed
// unless their family says otherwise (below).
import { AggregatorRegistry, Registry, type Aggregator } from 'prom-client'

export type MetricsJSON = Awaited<ReturnType<Registry['getMetricsAsJSON']>>

/**
 * Families whose sum over processes would mislead. Limits are inherited, the same in every
 * process: one process's value, as a single process reports it (the primary's comes first).
 * The start time is the primary's (the pod's). Workspace-auth configs are counted by every
 * worker alike (each builds its own authenticators): one worker's count.
 */
export const AGGREGATORS: Readonly<Record<string, Aggregator>> = {
  process_start_time_seconds: 'first',
  process_max_fds: 'first',
  process_virtual_memory_max_bytes: 'first',
  kcp_front_proxy_workspace_auth_configs: 'first',
}

/** The Prometheus text of the aggregate; the first process's values win where 'first' applies. */
export async function aggregateMetrics(perProcess: readonly MetricsJSON[]): Promise<string> {
  const adjusted = perProcess.map((families) => families.map((f) => (AGGREGATORS[f.name] !== undefined ? { ...f, aggregator: AGGREGATORS[f.name] } : f)))
  return AggregatorRegistry.aggregate(adjusted).metrics()
}

/**
 * A worker's registry: metrics are registered and collected locally as always (the primary
 * collects them with getMetricsAsJSON), but metrics(), what /metrics and the plain metrics
 * listener answer, is the aggregate of every process, asked of the primary.
 */
export class ClusterRegistry extends Registry {
  constructor(private readonly aggregate: () => Promise<string>) {
    super()
  }

  override metrics(): Promise<string> {
    return this.aggregate()
  }

  /** This process's own families, as a single process's registry.metrics() answers them. */
  localMetrics(): Promise<string> {
    return super.metrics()
  }
}
