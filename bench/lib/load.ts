// Load generation against one target while charging CPU to the proxy process:
// autocannon for throughput, a sequential undici probe for sub-millisecond latency
// (autocannon's histogram has 1 ms resolution, too coarse for "added p50").
import autocannon from 'autocannon'
import { Client } from 'undici'
import { cpuSeconds } from './proc.js'
import { percentile } from './stats.js'

export interface LoadResult {
  connections: number
  /** 2xx responses per second inside the measured window. */
  rps: number
  /** autocannon latency percentiles, milliseconds (1 ms resolution). */
  p50ms: number
  p99ms: number
  /** Requests per CPU-second of the proxy process inside the measured window (NaN without a proxy pid). */
  reqPerProxyCpuSec: number
  /** Requests per CPU-second of the backend (shard) process, for sanity: it should not differ between targets. */
  reqPerShardCpuSec: number
  /** Responses that were not 2xx, and socket errors or timeouts, inside the measured window; any of these invalidates the run. */
  non2xx: number
  errors: number
  /** Errors and timeouts before the window opened (connections that could not be set up while 500 handshakes queued). */
  rampErrors: number
  /** Connections that had their first response before the window opened (< connections: handshakes spilled in). */
  connectedBeforeWindow: number
}

export interface LoadOptions {
  url: string
  connections: number
  /** Measured seconds (after the ramp-up second). */
  seconds: number
  headers: Record<string, string>
  ca: string
  /** Optional client certificate and key (PEM) presented on every connection. */
  cert?: string
  key?: string
  proxyPid?: number
  shardPid: number
}

/** TLS options for a client: the CA, plus the client certificate when given. */
function clientTls(o: { ca: string; cert?: string; key?: string }): { ca: string; cert?: string; key?: string } {
  return { ca: o.ca, ...(o.cert !== undefined ? { cert: o.cert } : {}), ...(o.key !== undefined ? { key: o.key } : {}) }
}

/** Shortest ramp-up: JIT and pools settle even when the connections are open at once. */
const MIN_RAMP_MS = 1000
/** Longest wait for every connection's first response before measuring anyway (flagged in the result). */
const MAX_RAMP_MS = 15_000

/**
 * Runs autocannon: a ramp-up, then `seconds` measured. The measured window opens once every
 * connection has had its first response (so all TLS handshakes, which cost the server
 * 1–3 ms of CPU each, 500 of them at 500 connections, are done) and at least MIN_RAMP_MS
 * has passed. A fixed 1 s ramp let handshakes spill into the window at 500 connections
 * and charged them to whichever target was slowest to accept them.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  // Counters since the start of the load; the window is the difference of two snapshots.
  let ok = 0
  let bad = 0
  let errs = 0
  const snapshot = (): { ok: number; bad: number; errs: number; t: number; proxy: number; shard: number } =>
    ({ ok, bad, errs, t: performance.now(), proxy: o.proxyPid ? cpuSeconds(o.proxyPid) : NaN, shard: cpuSeconds(o.shardPid) })
  let start: ReturnType<typeof snapshot> | undefined
  let end: ReturnType<typeof snapshot> | undefined
  let rampDone = false
  let connectedAtOpen = 0
  const answered = new Set<unknown>()
  const inst = autocannon({
    url: o.url, connections: o.connections, duration: (MAX_RAMP_MS / 1000) + o.seconds + 5,
    headers: o.headers, tlsOptions: clientTls(o), pipelining: 1, timeout: 10,
  })
  let stopTimer: NodeJS.Timeout | undefined
  const open = (): void => {
    if (start !== undefined) return
    connectedAtOpen = answered.size
    start = snapshot()
    stopTimer = setTimeout(close, o.seconds * 1000)
  }
  // The window closes before autocannon tears its connections down: closing 500 sockets is not steady state.
  const close = (): void => {
    end = snapshot()
    inst.stop()
  }
  inst.on('reqError', () => { errs++ })
  inst.on('response', (client: unknown, status: number) => {
    if (status >= 200 && status < 300) ok++
    else bad++
    if (start !== undefined || answered.size === o.connections) return
    answered.add(client)
    if (answered.size === o.connections && rampDone) open()
  })
  const minRamp = setTimeout(() => {
    rampDone = true
    if (answered.size === o.connections) open()
  }, MIN_RAMP_MS)
  const maxRamp = setTimeout(open, MAX_RAMP_MS)
  const result = await inst
  clearTimeout(minRamp)
  clearTimeout(maxRamp)
  clearTimeout(stopTimer)
  end ??= snapshot()
  start ??= end
  const n = end.ok - start.ok
  return {
    connections: o.connections,
    rps: n / ((end.t - start.t) / 1000),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    reqPerProxyCpuSec: n / (end.proxy - start.proxy),
    reqPerShardCpuSec: n / (end.shard - start.shard),
    non2xx: end.bad - start.bad,
    errors: end.errs - start.errs,
    rampErrors: start.errs,
    connectedBeforeWindow: connectedAtOpen,
  }
}

export interface ProbeResult {
  /** Microseconds. */
  p50us: number
  p99us: number
  count: number
}

export interface ProbeTarget { name: string; url: string; headers: Record<string, string>; ca: string; cert?: string; key?: string }

/** Requests each target gets in a row before the probe moves to the next (see latencyProbe). */
export const PROBE_BLOCK = 100

/**
 * Sequential GETs, one keep-alive TLS connection per target, **interleaved in blocks** of
 * PROBE_BLOCK requests (warm-up first, then block k of every target, rotating which target goes
 * first): every target sees the same machine state. Probing one target after another for its whole
 * count let the VM's drift land in the difference (direct's p50 moved 346–768 µs between runs of one
 * session); alternating on every request instead let every process go cold between two of its
 * requests, which measures wake-ups rather than the proxy (+30–60 % on every target, direct included).
 */
export async function latencyProbe(targets: readonly ProbeTarget[], o: { warmup: number; count: number }): Promise<Map<string, ProbeResult>> {
  const clients = targets.map((t) => {
    const u = new URL(t.url)
    return { t, path: u.pathname + u.search, client: new Client(u.origin, { connect: clientTls(t), pipelining: 1 }), samples: [] as number[] }
  })
  const get = async (c: (typeof clients)[number]): Promise<number> => {
    const t0 = process.hrtime.bigint()
    const res = await c.client.request({ method: 'GET', path: c.path, headers: c.t.headers })
    await res.body.dump({ limit: Infinity })
    if (res.statusCode !== 200) throw new Error(`latency probe: HTTP ${res.statusCode} from ${c.t.url}`)
    return Number(process.hrtime.bigint() - t0) / 1000
  }
  try {
    for (const c of clients) for (let i = 0; i < o.warmup; i++) await get(c)
    for (let block = 0; block * PROBE_BLOCK < o.count; block++) {
      const n = Math.min(PROBE_BLOCK, o.count - block * PROBE_BLOCK)
      for (let j = 0; j < clients.length; j++) {
        const c = clients[(block + j) % clients.length]
        for (let i = 0; i < n; i++) c.samples.push(await get(c))
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.client.close()))
  }
  return new Map(clients.map((c) => [c.t.name, { p50us: percentile(c.samples, 50), p99us: percentile(c.samples, 99), count: c.samples.length }]))
}
