// The part of autocannon 8's programmatic API the benchmarks use (it ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'
  import type { SecureContextOptions } from 'node:tls'

  interface Options {
    url: string
    connections?: number
    duration?: number
    amount?: number
    pipelining?: number
    timeout?: number
    headers?: Record<string, string>
    method?: string
    tlsOptions?: SecureContextOptions
    workers?: number
  }
  interface Histogram { average: number; mean: number; stddev: number; min: number; max: number; p50: number; p90: number; p99: number; total: number }
  interface Result {
    requests: Histogram
    latency: Histogram
    throughput: Histogram
    errors: number
    timeouts: number
    non2xx: number
    duration: number
    '2xx': number
  }
  interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void
  }
  function autocannon(opts: Options, cb?: (err: Error | null, result: Result) => void): Instance
  export default autocannon
}
