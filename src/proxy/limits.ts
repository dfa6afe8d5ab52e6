// The front door's default limits, written once: the proxy modules fall back to them, and config's
// complete() fills the matching flags with them (the flag table's default texts are checked
// against complete() by test/config/parse.test.ts).

/** --backend-max-connections: HTTP/1.1 connections per shard for short requests. */
export const DEFAULT_MAX_CONNECTIONS = 128
/** --backend-queue-size: short requests that may wait for one of them per shard; one more gets 429. */
export const DEFAULT_QUEUE_SIZE = 1000
/** --backend-queue-timeout: the longest such wait before a 429. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 10_000
/** --request-body-buffer-size: bodies up to this are read whole before a shard connection is taken. */
export const DEFAULT_BODY_BUFFER_BYTES = 3 << 20
/** All bodies being buffered at once, together; past it, bodies stream. */
export const DEFAULT_BODY_BUDGET_BYTES = 256 << 20
/** --request-body-timeout: the whole body must arrive within this of the request's start. */
export const DEFAULT_BODY_TIMEOUT_MS = 60_000
/** --fair-queuing-queue-length: requests one flow (user, or user in a workspace) may have waiting per shard. */
export const DEFAULT_FLOW_QUEUE_LENGTH = 100
