// /metrics (docs/upstream.md#metrics-endpoint): authenticated, then authorized (SubjectAccessReview for
// `get /metrics` in root, done by src/auth), then the registry in Prometheus text format.
// Failures answer the apiserver's Status bodies: 401 Unauthorized, 403 `forbidden: User
// "<u>" cannot get path "/metrics"…`, 500 when the authorizer itself failed.
import type { Registry } from 'prom-client'
import type { AuthRequest } from '../auth/types.js'
import type { MetricsAuthorization } from '../auth/index.js'
import { ProxyError, serializeStatus } from '../errors.js'

export type MetricsAuthorizer = (req: AuthRequest) => Promise<MetricsAuthorization>

export interface MetricsAnswer {
  status: number
  contentType: string
  body: string
}

function statusAnswer(e: ProxyError): MetricsAnswer {
  return { status: e.status, contentType: 'application/json', body: serializeStatus(e.toStatus()) }
}

/** Without an authorizer nobody can be authorized: 401 (upstream panics in that configuration). */
export async function answerMetrics(registry: Registry, authorize: MetricsAuthorizer | undefined, req: AuthRequest): Promise<MetricsAnswer> {
  let d: MetricsAuthorization
  try {
    d = authorize === undefined ? { allowed: false, status: 401, message: 'Unauthorized' } : await authorize(req)
  } catch (e) {
    d = { allowed: false, status: 500, message: `Internal error occurred: ${e instanceof Error ? e.message : String(e)}` }
  }
  if (!d.allowed) {
    if (d.status === 401) return statusAnswer(new ProxyError('FP_UNAUTHORIZED'))
    if (d.status === 403) return statusAnswer(new ProxyError('FP_FORBIDDEN', d.message, { details: {} }))
    return statusAnswer(new ProxyError('FP_INTERNAL', d.message))
  }
  return { status: 200, contentType: registry.contentType, body: await registry.metrics() }
}
