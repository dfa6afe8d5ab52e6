// Per-process resource readings from /proc, so a benchmark can charge CPU and memory
// to the one process under test (the proxy), not to the load generator or the shard.
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

let clkTck: number | undefined

/** Kernel clock ticks per second (USER_HZ); utime/stime in /proc/<pid>/stat are counted in these. */
export function clockTicksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clkTck = 100 // the value on every mainstream Linux build
    }
  }
  return clkTck
}

/**
 * Parses the utime and stime fields of a /proc/<pid>/stat line. The comm field (2) may
 * contain spaces and parentheses, so fields are counted from the last ')'.
 */
export function parseStatTicks(stat: string): { utime: number; stime: number } {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  return { utime: Number(rest[11]), stime: Number(rest[12]) }
}

/**
 * CPU seconds (user + system) a process and its live child processes (ours with --workers: the
 * workers; depth-bounded) have used so far. A child that exited and was reaped is no longer counted.
 */
export function cpuSeconds(pid: number, depth = 3): number {
  const { utime, stime } = parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  let s = (utime + stime) / clockTicksPerSecond()
  if (depth > 0) {
    for (const child of childPids(pid)) {
      try {
        s += cpuSeconds(child, depth - 1)
      } catch {
        // exited between the listing and the read
      }
    }
  }
  return s
}

/** A process's children (Linux: /proc/<pid>/task/<pid>/children); none when unreadable. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** Resident set size in bytes (VmRSS from /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1]) * 1024
}

/** Open file descriptors of a process. */
export function openFds(pid: number): number {
  return execFileSync('ls', [`/proc/${pid}/fd`], { encoding: 'utf8' }).split('\n').filter(Boolean).length
}

/** The soft and hard limits on open files of the current process. */
export function fileLimit(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
  const n = (s: string | undefined): number => (s === undefined || s === 'unlimited' ? Infinity : Number(s))
  return { soft: n(m?.[1]), hard: n(m?.[2]) }
}
