// How many CPUs this process may use: os.availableParallelism() (the affinity mask) capped by
// the cgroup v2 CPU quota (/sys/fs/cgroup/cpu.max, `<quota> <period>` or `max <period>`), so
// a container limited to 2 CPUs on a 64-core node starts 2 workers, not 64. A fractional quota
// rounds up (1.5 CPUs = 2 workers: the second is throttled, not idle), never below 1.
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

export const CGROUP_CPU_MAX = '/sys/fs/cgroup/cpu.max'

/** CPUs a cgroup v2 `cpu.max` allows; undefined when it sets no limit or cannot be read. */
export function cpusFromCpuMax(content: string | undefined): number | undefined {
  if (content === undefined) return undefined
  const [quota, period, ...rest] = content.trim().split(/\s+/)
  if (quota === undefined || quota === 'max' || rest.length > 0) return undefined
  const q = Number(quota)
  // The kernel's default period is 100 ms when only the quota is written.
  const p = period === undefined ? 100_000 : Number(period)
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined
  return Math.max(1, Math.ceil(q / p))
}

/** The smaller of the CPUs the scheduler offers and the cgroup quota. */
export function availableCpus(o: { parallelism?: number; cpuMax?: string | undefined } = {}): number {
  const parallelism = o.parallelism ?? availableParallelism()
  const cpuMax = 'cpuMax' in o ? o.cpuMax : readCpuMax()
  const quota = cpusFromCpuMax(cpuMax)
  return Math.max(1, quota === undefined ? parallelism : Math.min(parallelism, quota))
}

function readCpuMax(): string | undefined {
  try {
    return readFileSync(CGROUP_CPU_MAX, 'utf8')
  } catch {
    return undefined
  }
}
