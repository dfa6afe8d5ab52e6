// What the primary and the workers say to each other over the cluster IPC channel ('advanced'
// serialization: structured clone, so index objects cross without JSON round trips).
import type { ReadinessReport } from '../controller/types.js'
import type { RelayOp } from './index-relay.js'
import type { MetricsJSON } from './metrics-aggregate.js'

/** Primary → worker. */
export type ToWorker =
  /** Index calls, in order: first the snapshot (after 'hello'), then every change. */
  | { t: 'ops'; ops: RelayOp[] }
  /** The snapshot is complete: the copy now equals the primary's index. */
  | { t: 'snapshot-done' }
  /** The controller's readiness, whenever it changed. */
  | { t: 'readiness'; report: ReadinessReport }
  /** Send your registry's metrics (for an aggregate). */
  | { t: 'metrics-collect'; id: number }
  /** The aggregate asked for by 'metrics-request'. */
  | { t: 'metrics-text'; id: number; text?: string; error?: string }
  /** Shut down gracefully (as on SIGTERM in a single process), then exit. */
  | { t: 'shutdown' }

/** Worker → primary. */
export type ToPrimary =
  /** Ready to receive the index: send the snapshot, then the changes. */
  | { t: 'hello' }
  | { t: 'listening'; url: string }
  /** Start-up failed (the message the single process would print), the worker exits 1. */
  | { t: 'failed'; message: string }
  /** Log lines (whole lines), written by the primary: one writer for stdout. urgent = write at once. */
  | { t: 'log'; text: string; urgent: boolean }
  | { t: 'metrics-json'; id: number; metrics: MetricsJSON }
  /** /metrics on this worker: answer the aggregate of every process. */
  | { t: 'metrics-request'; id: number }

export function isMessage<T extends { t: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string'
}
