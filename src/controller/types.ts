// The contract between the index controller and the server (readiness, lifecycle).

export interface ReadinessCheck {
  /** e.g. `shards-synced`, `shard:alpha`. */
  name: string
  ok: boolean
  /** Why it is failing (never secret). */
  message?: string
  /**
   * false: a failing check that is reported but does not fail the aggregate /readyz
   * (e.g. a shard that missed its sync deadline). Default true.
   */
  blocking?: boolean
}

export interface ReadinessReport {
  ready: boolean
  checks: ReadinessCheck[]
}

export interface IndexController {
  /** Starts resolving identities and watching; resolves once started (not once synced). */
  start(): Promise<void>
  /** Stops every watch; idempotent. */
  stop(): Promise<void>
  /** Current readiness, cheap to call on every /readyz. */
  readiness(): ReadinessReport
  /** Resolves when readiness() first turns ready (or rejects on stop). */
  whenReady(): Promise<void>
}
