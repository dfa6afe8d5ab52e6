// HTTP/2 client load with h2load (Debian's nghttp2-client): kubectl and client-go speak HTTP/2, so
// the proxy's cost per request must be measured with HTTP/2 clients too, not only autocannon's
// HTTP/1.1. Same result shape as runLoad (load.ts). h2load counts only after --warm-up-time, so the
// CPU window opens then and closes when its duration ends; h2load gives no percentiles, only mean.
import { spawn, spawnSync } from 'node:child_process'
import { cpuSeconds } from './proc.js'
import type { LoadResult } from './load.js'

export interface H2LoadOptions {
  url: string
  connections: number
  /** Concurrent streams per connection (-m). */
  streams: number
  seconds: number
  headers: Record<string, string>
  /** HTTP/1.1 instead (h2load --h1): a client in C, cheaper per request than autocannon, for figures the client's CPU would cap. */
  h1?: boolean
  proxyPid?: number
  shardPid: number
}

/** Seconds of warm-up (connections set up, JIT warm) before h2load starts counting. */
const WARM_UP_SECONDS = 2
/** Seconds after its window before an h2load that has not exited is killed (a request takes milliseconds here). */
const STALL_SECONDS = 10

export function h2loadAvailable(): boolean {
  return spawnSync('h2load', ['--version'], { stdio: 'ignore' }).status === 0
}

/** The counters of h2load's summary ("requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"). */
export function parseH2loadSummary(out: string): { succeeded: number; failed: number; errored: number; timeout: number; non2xx: number; meanMs: number } {
  const req = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out)
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out)
  if (req === null || codes === null) throw new Error(`h2load printed no summary:\n${out.slice(-2000)}`)
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out)
  const ms = mean === null ? NaN : mean[1].endsWith('us') ? parseFloat(mean[1]) / 1000 : mean[1].endsWith('ms') ? parseFloat(mean[1]) : parseFloat(mean[1]) * 1000
  return {
    succeeded: Number(req[1]), failed: Number(req[2]), errored: Number(req[3]), timeout: Number(req[4]),
    non2xx: Number(codes[2]) + Number(codes[3]) + Number(codes[4]), meanMs: ms,
  }
}

export async function runH2load(o: H2LoadOptions): Promise<LoadResult> {
  const args = ['-c', String(o.connections), '-m', String(o.streams), '-D', String(o.seconds), '--warm-up-time', String(WARM_UP_SECONDS), ...(o.h1 === true ? ['--h1'] : [])]
  for (const [k, v] of Object.entries(o.headers)) args.push('-H', `${k}: ${v}`)
  args.push(o.url)
  const cp = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  cp.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  cp.stderr.setEncoding('utf8').on('data', (d: string) => { out += d })
  const snap = (): { t: number; proxy: number; shard: number } => ({ t: performance.now(), proxy: o.proxyPid ? cpuSeconds(o.proxyPid) : NaN, shard: cpuSeconds(o.shardPid) })
  let start: ReturnType<typeof snap> | undefined
  let end: ReturnType<typeof snap> | undefined
  const opened = setTimeout(() => { start = snap() }, WARM_UP_SECONDS * 1000)
  const closed = setTimeout(() => { end = snap() }, (WARM_UP_SECONDS + o.seconds) * 1000)
  // Bounded: a run that does not finish is killed and reported, never awaited forever. Seen in stop 28: in
  // HTTP/1.1 duration mode a few of h2load's clients can go on sending after "Stopped all clients" (the proxy
  // logging their 200s the whole time), so h2load never prints its summary. Its requests are then unknown.
  const killer = setTimeout(() => cp.kill('SIGKILL'), (WARM_UP_SECONDS + o.seconds + STALL_SECONDS) * 1000)
  const code = await new Promise<number | null>((resolve) => cp.once('exit', resolve))
  clearTimeout(opened)
  clearTimeout(closed)
  clearTimeout(killer)
  if (code === null) {
    // Killed: no summary, so the window's figures are missing (NaN: left out of medians and ratios), not zero
    // (a 0 in a ratio's numerator made it 0); errors mark the run invalid in the report.
    process.stderr.write(`WARNING h2load ${o.url} c=${o.connections} m=${o.streams}: did not finish within ${STALL_SECONDS} s after its window (stalled: the target, or h2load's own clients not stopping); its figures are left out\n`)
    return { connections: o.connections, rps: NaN, p50ms: NaN, p99ms: NaN, reqPerProxyCpuSec: NaN, reqPerShardCpuSec: NaN, non2xx: 0, errors: o.connections, rampErrors: 0, connectedBeforeWindow: o.connections }
  }
  if (code !== 0) throw new Error(`h2load exited with ${code}:\n${out.slice(-2000)}`)
  start ??= snap()
  end ??= snap()
  const s = parseH2loadSummary(out)
  const n = s.succeeded - s.non2xx
  return {
    connections: o.connections,
    rps: n / o.seconds,
    p50ms: s.meanMs,
    p99ms: NaN,
    reqPerProxyCpuSec: n / (end.proxy - start.proxy),
    reqPerShardCpuSec: n / (end.shard - start.shard),
    non2xx: s.non2xx + s.failed,
    errors: s.errored + s.timeout,
    rampErrors: 0,
    connectedBeforeWindow: o.connections,
  }
}
