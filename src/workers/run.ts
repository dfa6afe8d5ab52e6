// --workers (docs: README "Workers"): how many serving processes, and which role this process
// plays. The CLI calls runWorkers() when workerCount() is above 1; node:cluster starts each
// worker with the same command line, and there it runs the worker side.
import cluster from 'node:cluster'
import type { CompletedOptions } from '../config/types.js'
import { logFlushMs } from '../server/logging.js'
import { availableCpus } from './cpus.js'

/** --workers, or the CPUs available to the process when it is not given. */
export function workerCount(options: CompletedOptions, cpus: () => number = availableCpus): number {
  return options.extra.workers ?? cpus()
}

export async function runWorkers(options: CompletedOptions, count: number): Promise<void> {
  const flushMs = logFlushMs(options.logging.logFlushSeconds)
  if (cluster.isWorker) {
    const { runWorker } = await import('./worker.js')
    await runWorker(options, flushMs)
    return
  }
  const { runPrimary } = await import('./primary.js')
  await runPrimary(options, count, flushMs)
}
