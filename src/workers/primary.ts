// --workers N: this process (the cluster primary) runs the index controller, one set of shard
// watches per pod, and N workers serve the port (pool.ts, worker.ts). It writes every log line
// (its own and the workers'), answers the workers' /metrics with the aggregate of all
// processes, and on SIGTERM/SIGINT drains every worker as a single process drains itself,
// then stops the watches.
import cluster from 'node:cluster'
import { Registry } from 'prom-client'
import type { CompletedOptions } from '../config/types.js'
import { createIndexController } from '../controller/index.js'
import { loadControllerKubeconfigs } from '../controller/kubeconfigs.js'
import { createLogger, logDestination } from '../server/logging.js'
import { registerProcessMetrics } from '../server/process-metrics.js'
import { IndexRecorder } from './index-relay.js'
import { aggregateMetrics } from './metrics-aggregate.js'
import { WorkerPool } from './pool.js'

/** Beyond the workers' own shutdown delay and drain timeout, before the primary kills them. */
const SHUTDOWN_MARGIN_MS = 10_000

export interface RunningCluster {
  readonly workers: number
}

export async function runPrimary(options: CompletedOptions, count: number, flushMs: number): Promise<RunningCluster> {
  const dest = logDestination(1, { flushMs })
  const logger = createLogger({ v: options.logging.v, stream: dest, bindings: { worker: 0 } })
  const registry = new Registry()
  registerProcessMetrics(registry)
  const recorder = new IndexRecorder({ withAuthIndex: options.extra.featureGates.WorkspaceAuthentication === true })
  const controller = createIndexController({
    ...(await loadControllerKubeconfigs(options)),
    index: recorder.index,
    ...(recorder.authIndex !== undefined ? { authIndex: recorder.authIndex } : {}),
    registry,
    logger,
    shardSyncTimeoutMs: options.extra.shardSyncTimeoutSeconds * 1000,
  })
  // Structured clone: index objects cross without a JSON round trip.
  cluster.setupPrimary({ serialization: 'advanced' })
  const pool = new WorkerPool({
    count,
    logger,
    recorder,
    readiness: () => controller.readiness(),
    log: (text, urgent) => (urgent ? dest.write(text) : dest.writeBatched(text)),
    // The primary's families first: where a family takes the first value, it is the primary's.
    aggregate: async (fromWorkers) => aggregateMetrics([await registry.getMetricsAsJSON(), ...fromWorkers]),
  })
  let signals = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++
    if (signals > 1) {
      logger.warn({ signal: sig }, 'second signal: exiting now')
      pool.kill()
      dest.flushSync()
      process.exit(1)
    }
    logger.info({ signal: sig }, 'shutting down gracefully')
    const graceMs = (options.extra.shutdownDelaySeconds + options.extra.shutdownTimeoutSeconds) * 1000 + SHUTDOWN_MARGIN_MS
    pool
      .shutdown(graceMs)
      .then(async (clean) => {
        await controller.stop()
        logger.info('shutdown: watches stopped')
        dest.flushSync()
        process.exit(clean ? 0 : 1)
      })
      .catch((e: unknown) => {
        logger.error({ err: e }, 'shutdown failed')
        dest.flushSync()
        process.exit(1)
      })
  }
  // Installed before the workers start: a signal while one is still starting (another may already
  // answer /readyz) drains them all like any other signal, instead of killing the primary.
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  await controller.start()
  logger.info({ workers: count }, 'starting workers')
  try {
    await pool.start()
  } catch (e) {
    // A worker stopped by the shutdown in progress is not a start-up failure: that path exits.
    if (signals > 0) return { workers: count }
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    pool.kill()
    await controller.stop()
    throw e
  }
  logger.info({ workers: count }, 'workers serving')
  return { workers: count }
}
