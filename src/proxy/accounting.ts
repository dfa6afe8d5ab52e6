// Step 3 of the pipeline: every request — streamed, refused, or an upgrade — ends in the same
// metrics and the same one log line, so a refused upgrade is as visible as a refused GET.
import type { Logger } from 'pino'
import type { ProxyMetrics } from './metrics.js'

/** The one line the proxy writes per request. No field can hold a credential: paths carry no query. */
export interface RequestLogRecord {
  method: string
  path: string
  shard: string
  cluster: string
  status: number
  bytes: number
  ms: number
  user: string
  aborted: boolean | undefined
  err: string | undefined
  /** The protocol an upgrade asked for (websocket, SPDY/3.1); absent for plain requests. */
  upgrade?: string
}

/** What a finished request reports. */
export interface Outcome {
  readonly method: string
  readonly path: string
  readonly shard: string
  readonly cluster: string
  readonly user: string
  readonly start: bigint
  /** 0 = no answer was sent (logged and counted as 499, the client went away). */
  readonly status: number
  readonly bytesIn: number
  readonly bytesOut: number
  readonly error: string | undefined
}

export type Account = (o: Outcome, aborted: boolean, upgrade?: string) => void

export function createAccounting(metrics: ProxyMetrics, logger: Logger, logRequest?: (r: RequestLogRecord) => void): Account {
  const log = logRequest ?? ((r: RequestLogRecord): void => logger.info(r, 'request'))
  return function account(o, aborted, upgrade) {
    const seconds = Number(process.hrtime.bigint() - o.start) / 1e9
    const code = o.status === 0 ? 499 : o.status
    metrics.observeRequest(o.method, code, seconds)
    if (o.shard !== '') {
      if (o.bytesIn > 0) metrics.requestBytes(o.shard, o.bytesIn)
      metrics.responseBytes(o.shard, o.bytesOut)
    }
    const r: RequestLogRecord = {
      method: o.method, path: o.path, shard: o.shard, cluster: o.cluster, status: code, bytes: o.bytesOut,
      ms: Math.round(seconds * 1e6) / 1e3, user: o.user, aborted: aborted || undefined, err: o.error,
    }
    if (upgrade !== undefined) r.upgrade = upgrade
    log(r)
  }
}
