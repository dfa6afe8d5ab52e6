// The process_* families upstream's /metrics has (Go's client_golang process collector, which the
// Kubernetes legacy registry installs): the same names, types and help texts, so dashboards and alerts
// written for the Go front-proxy (CPU, memory, file descriptors near the limit, restarts via the start
// time) keep working. Read at scrape time from process.* and /proc/self (Linux). A family whose source
// cannot be read when it is registered (no /proc) is left out, as the Go collector leaves out what it
// cannot read, rather than exporting a 0 an alert would divide by. prom-client's collectDefaultMetrics is not
// used: it also installs an event-loop monitor and GC observer, and names some families differently.
import { readdirSync, readFileSync } from 'node:fs'
import { Counter, Gauge, type Registry } from 'prom-client'

/** The process start, as Go reads it from /proc: now minus uptime, once. */
const START_TIME_SECONDS = Date.now() / 1000 - process.uptime()

/** procfs reads "unlimited" as the largest uint64 (2^64 - 1); Go exports it as the float 2^64. */
const UNLIMITED = 2 ** 64

function readProc(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** The soft limit of a /proc/self/limits row, e.g. `Max open files`. */
export function softLimit(limits: string, row: string): number | undefined {
  const line = limits.split('\n').find((l) => l.startsWith(row))
  const soft = line?.slice(row.length).trim().split(/\s+/)[0]
  if (soft === undefined) return undefined
  if (soft === 'unlimited') return UNLIMITED
  const n = Number(soft)
  return Number.isFinite(n) ? n : undefined
}

/** vsize (bytes) from /proc/self/stat: field 23, counted after the parenthesised command name. */
export function virtualMemoryBytes(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const n = Number(fields[20])
  return Number.isFinite(n) ? n : undefined
}

function gauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  if (read() === undefined) return
  new Gauge({
    name, help, registers: [registry],
    collect(this: Gauge) {
      // A read that fails later (a /proc hiccup) keeps the last value instead of reporting 0.
      const v = read()
      if (v !== undefined) this.set(v)
    },
  })
}

/** Registers the process families on `registry` (once per registry). */
export function registerProcessMetrics(registry: Registry): void {
  if (registry.getSingleMetric('process_cpu_seconds_total') !== undefined) return
  new Counter({
    name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', registers: [registry],
    collect(this: Counter) {
      const u = process.cpuUsage()
      this.reset()
      this.inc((u.user + u.system) / 1e6)
    },
  })
  // Go counts the entries of /proc/self/fd, the directory's own descriptor included.
  gauge(registry, 'process_open_fds', 'Number of open file descriptors.', () => {
    try {
      return readdirSync('/proc/self/fd').length
    } catch {
      return undefined
    }
  })
  const limit = (row: string) => (): number | undefined => {
    const limits = readProc('/proc/self/limits')
    return limits === undefined ? undefined : softLimit(limits, row)
  }
  gauge(registry, 'process_max_fds', 'Maximum number of open file descriptors.', limit('Max open files'))
  gauge(registry, 'process_virtual_memory_bytes', 'Virtual memory size in bytes.', () => {
    const stat = readProc('/proc/self/stat')
    return stat === undefined ? undefined : virtualMemoryBytes(stat)
  })
  gauge(registry, 'process_virtual_memory_max_bytes', 'Maximum amount of virtual memory available in bytes.', limit('Max address space'))
  gauge(registry, 'process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss())
  gauge(registry, 'process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', () => START_TIME_SECONDS)
}
