// One catalogue of the errors the proxy answers with. Each has a stable code, an
// HTTP status and the Kubernetes Status reason clients switch on. Every error the
// proxy itself produces for an HTTP client goes through statusFor()/toStatus().

export type ErrorCode =
  | 'FP_BAD_REQUEST'
  | 'FP_REQUEST_TIMEOUT'
  | 'FP_HEADERS_TOO_LARGE'
  | 'FP_TOO_MANY_REQUESTS'
  | 'FP_UNAUTHORIZED'
  | 'FP_WORKSPACE_FORBIDDEN'
  | 'FP_FORBIDDEN'
  | 'FP_NOT_FOUND'
  | 'FP_METHOD_NOT_ALLOWED'
  | 'FP_INTERNAL'
  | 'FP_BAD_GATEWAY'
  | 'FP_GATEWAY_TIMEOUT'
  | 'FP_WORKSPACE_UNAVAILABLE'
  | 'FP_SHUTTING_DOWN'

interface CatalogueEntry {
  status: number
  reason: string
  /** Default message when the thrower gives none. */
  message: string
}

export const catalogue: Readonly<Record<ErrorCode, CatalogueEntry>> = {
  FP_BAD_REQUEST: { status: 400, reason: 'BadRequest', message: 'bad request' },
  // The client did not send its request (headers or body) in time; we stop waiting and free what it held.
  FP_REQUEST_TIMEOUT: { status: 408, reason: 'Timeout', message: 'the request was not received in time' },
  FP_HEADERS_TOO_LARGE: { status: 431, reason: 'RequestHeaderFieldsTooLarge', message: 'request headers too large' },
  // The shard's connections and queue are full: retryable, with Retry-After (client-go retries these).
  FP_TOO_MANY_REQUESTS: { status: 429, reason: 'TooManyRequests', message: 'Too many requests, please try again later.' },
  FP_UNAUTHORIZED: { status: 401, reason: 'Unauthorized', message: 'Unauthorized' },
  // Upstream answers unknown and invalid workspace paths with this exact Forbidden (docs/upstream.md#routes).
  FP_WORKSPACE_FORBIDDEN: { status: 403, reason: 'Forbidden', message: 'workspace access not permitted' },
  FP_FORBIDDEN: { status: 403, reason: 'Forbidden', message: 'forbidden' },
  FP_NOT_FOUND: { status: 404, reason: 'NotFound', message: 'the server could not find the requested resource' },
  FP_METHOD_NOT_ALLOWED: { status: 405, reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' },
  FP_INTERNAL: { status: 500, reason: 'InternalError', message: 'an internal error occurred' },
  // Upstream sends 502 with an empty body; we send a Status so kubectl prints something useful.
  FP_BAD_GATEWAY: { status: 502, reason: 'BadGateway', message: 'error trying to reach the shard' },
  FP_GATEWAY_TIMEOUT: { status: 504, reason: 'Timeout', message: 'the shard did not answer in time' },
  FP_WORKSPACE_UNAVAILABLE: { status: 503, reason: 'ServiceUnavailable', message: 'Not available.' },
  FP_SHUTTING_DOWN: { status: 503, reason: 'ServiceUnavailable', message: 'the front-proxy is shutting down' },
}

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  causes?: { reason?: string; message?: string; field?: string }[]
  retryAfterSeconds?: number
}

/** A Kubernetes `Status` object (meta/v1) as the apiserver serialises it. */
export interface KubeStatus {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message: string
  reason: string
  details?: StatusDetails
  code: number
}

export class ProxyError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly reason: string
  readonly details: StatusDetails | undefined

  constructor(code: ErrorCode, message?: string, options?: { details?: StatusDetails; cause?: unknown }) {
    const entry = catalogue[code]
    super(message ?? entry.message, options?.cause !== undefined ? { cause: options.cause } : undefined)
    this.name = 'ProxyError'
    this.code = code
    this.status = entry.status
    this.reason = entry.reason
    this.details = options?.details
  }

  toStatus(): KubeStatus {
    return statusBody(this.status, this.reason, this.message, this.details)
  }
}

/**
 * Builds a Status in the apiserver's field order. `details` is emitted only when given,
 * as the apiserver omits it for e.g. Unauthorized but sends `{}` for Forbidden.
 */
export function statusBody(code: number, reason: string, message: string, details?: StatusDetails): KubeStatus {
  const s: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
  if (details !== undefined) {
    // Keep `code` last, as the apiserver does, so byte-for-byte comparisons hold.
    const { code: c, ...rest } = s
    return { ...rest, details, code: c }
  }
  return s
}

/**
 * The upstream 403 for a workspace path that does not resolve (docs/upstream.md#routes). Upstream always says
 * `User ""` (it resolves before authenticating) and never why; `user` and `why` say both, after
 * upstream's text, so status, reason and the message's start stay what clients match on.
 */
export function workspaceForbidden(verb: string, path: string, user = '', why = ''): ProxyError {
  return new ProxyError(
    'FP_WORKSPACE_FORBIDDEN',
    `forbidden: User ${JSON.stringify(user)} cannot ${verb} path ${JSON.stringify(path)}: workspace access not permitted${why === '' ? '' : `: ${why}`}`,
    { details: {} },
  )
}

/**
 * A Status as the Kubernetes JSON serializer writes it: Go's json.Encoder ends every document with
 * a newline, and a pretty answer is indented by two spaces (json.MarshalIndent).
 */
export function serializeStatus(s: KubeStatus, pretty = false): string {
  return `${pretty ? JSON.stringify(s, null, 2) : JSON.stringify(s)}\n`
}
