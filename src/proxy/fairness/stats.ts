// What a shard's gates report for the flow-control metrics (src/proxy/metrics.ts). Plain numbers
// the gates change in place, read when /metrics is scraped, so the hot path pays an increment,
// not a label lookup; rejections are rare and go through prom-client as usual.

/** Why a request was not executed (apiserver_flowcontrol_rejected_requests_total uses the same words). */
export type RejectReason = 'queue-full' | 'flow-queue-full' | 'time-out' | 'cancelled' | 'closing'

export interface FlowControlStats {
  /** Short requests holding one of the shard's connections (or HTTP/2 slots) now. */
  executing: number
  /** Exempt requests (system:masters) at the shard now: never queued, still counted. */
  exempt: number
  /** Requests waiting in the shard's queue now. */
  queued: number
  /** A request left the queue: after `seconds`, executed or not (0 s for one that never waited). */
  waited(seconds: number, executed: boolean): void
  rejected(reason: RejectReason): void
}

/** Stats nobody reads: a gate built without metrics (tests, tools). */
export function unobservedStats(): FlowControlStats {
  return { executing: 0, exempt: 0, queued: 0, waited: () => undefined, rejected: () => undefined }
}
