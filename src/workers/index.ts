// --workers N (README "Workers"): the CLI's entry to the primary and worker sides.
export { runWorkers, workerCount } from './run.js'
export { availableCpus, cpusFromCpuMax } from './cpus.js'
