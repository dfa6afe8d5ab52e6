// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header parsed and
// written, and the sampling decision kube-apiserver makes with it (ParentBased(TraceIDRatioBased)).
// Pure functions: the request path calls them before any span object exists, so a request that is
// not sampled costs one header read and, without a parent, one random number.

/** A valid incoming traceparent. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string
  /** 16 lowercase hex digits, not all zero. */
  readonly spanId: string
  /** The trace-flags byte; bit 0 = sampled. */
  readonly flags: number
}

const HEX = /^[0-9a-f]+$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/**
 * The parent a client sent, or undefined when there is none or it is invalid (the W3C rule: an
 * invalid traceparent is ignored and a new trace starts). A header sent twice is invalid too.
 * Versions above 00 are read by their 00 prefix, as the spec asks of a 00 parser.
 */
export function parseTraceparent(value: string | string[] | undefined): TraceParent | undefined {
  if (typeof value !== 'string' || value.length < 55) return undefined
  const v = value.trim()
  if (v.length < 55 || v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return undefined
  const version = v.slice(0, 2)
  if (!HEX.test(version) || version === 'ff') return undefined
  // Version 00 is exactly 55 characters; a later version may append fields after a dash.
  if (version === '00' ? v.length !== 55 : v.length > 55 && v[55] !== '-') return undefined
  const traceId = v.slice(3, 35)
  const spanId = v.slice(36, 52)
  const flags = v.slice(53, 55)
  if (!HEX.test(traceId) || !HEX.test(spanId) || !HEX.test(flags)) return undefined
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined
  return { traceId, spanId, flags: parseInt(flags, 16) }
}

/** The traceparent header for a span (version 00). */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`
}

/**
 * kube-apiserver's sampler: a parent's decision is followed (sampled or not, whatever the rate);
 * without a parent, `ratePerMillion` requests in a million are sampled. `random` is in [0, 1).
 */
export function shouldSample(parent: TraceParent | undefined, ratePerMillion: number, random: () => number): boolean {
  if (parent !== undefined) return (parent.flags & 1) === 1
  if (ratePerMillion <= 0) return false
  if (ratePerMillion >= 1_000_000) return true
  return random() * 1_000_000 < ratePerMillion
}

/** `/clusters/<path>/…` → `<path>` (still encoded as the client sent it); '' for other paths. */
export function workspacePathOf(path: string): string {
  if (!path.startsWith('/clusters/')) return ''
  const end = path.indexOf('/', 10)
  return end < 0 ? path.slice(10) : path.slice(10, end)
}
