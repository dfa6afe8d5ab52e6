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
  /** Responses that were not 2xx, and socket errors; any of these invalidates the run. */
  non2xx: number
  errors: number
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

const RAMP_MS = 1000

/**
 * Runs autocannon for 1 s ramp-up + `seconds`. The measured window starts after the
 * ramp-up, so TLS handshakes of 500 fresh connections are not charged to steady state.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  let ok = 0
  let okAtStart = 0
  let cpuStart = { proxy: 0, shard: 0 }
  let tStart = 0
  const inst = autocannon({
    url: o.url, connections: o.connections, duration: (RAMP_MS / 1000) + o.seconds,
    headers: o.headers, tlsOptions: clientTls(o), pipelining: 1, timeout: 10,
  })
  inst.on('response', (_c: unknown, status: number) => { if (status >= 200 && status < 300) ok++ })
  const ramp = setTimeout(() => {
    okAtStart = ok
    tStart = performance.now()
    cpuStart = { proxy: o.proxyPid ? cpuSeconds(o.proxyPid) : 0, shard: cpuSeconds(o.shardPid) }
  }, RAMP_MS)
  const result = await inst
  clearTimeout(ramp)
  const elapsed = (performance.now() - tStart) / 1000
  const n = ok - okAtStart
  const proxyCpu = o.proxyPid ? cpuSeconds(o.proxyPid) - cpuStart.proxy : NaN
  const shardCpu = cpuSeconds(o.shardPid) - cpuStart.shard
  return {
    connections: o.connections,
    rps: n / elapsed,
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    reqPerProxyCpuSec: n / proxyCpu,
    reqPerShardCpuSec: n / shardCpu,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

export interface ProbeResult {
  /** Microseconds. */
  p50us: number
  p99us: number
  count: number
}

/** Sequential GETs over one keep-alive TLS connection; precise per-request latency. */
export async function latencyProbe(o: { url: string; headers: Record<string, string>; ca: string; cert?: string; key?: string; warmup: number; count: number }): Promise<ProbeResult> {
  const u = new URL(o.url)
  const client = new Client(u.origin, { connect: clientTls(o), pipelining: 1 })
  const path = u.pathname + u.search
  const samples: number[] = []
  try {
    for (let i = 0; i < o.warmup + o.count; i++) {
      const t0 = process.hrtime.bigint()
      const res = await client.request({ method: 'GET', path, headers: o.headers })
      await res.body.dump({ limit: Infinity })
      const dt = Number(process.hrtime.bigint() - t0) / 1000
      if (res.statusCode !== 200) throw new Error(`latency probe: HTTP ${res.statusCode} from ${o.url}`)
      if (i >= o.warmup) samples.push(dt)
    }
  } finally {
    await client.close()
  }
  return { p50us: percentile(samples, 50), p99us: percentile(samples, 99), count: samples.length }
}
