// Which flow a short request belongs to, or whether it is exempt from queuing (as the exempt
// priority level of Kubernetes API Priority and Fairness: group system:masters). Health checks
// must answer while the shard is busy, but anyone may send them, so they are not exempt from the
// gate's bounds (an exempt request uses the shard's unlimited connections): they are a flow of
// their own, served in turn with every other flow, never behind a tenant's backlog. Pure.
import type { UserInfo } from '../../auth/types.js'
import type { FlowKey } from '../../config/types.js'

export type { FlowKey } from '../../config/types.js'

/** A request that bypasses the queue (still counted). */
export const EXEMPT = Symbol('exempt')

/** Identities in this group are never queued (kube-apiserver's exempt FlowSchema does the same). */
export const EXEMPT_GROUP = 'system:masters'

/** The shard's health endpoints (and their checks below, e.g. /livez/ping). */
const HEALTH_PATHS = ['/healthz', '/livez', '/readyz']

/** The flow of every shard health check; NUL occurs in no user or cluster name, so no other flow has it. */
export const HEALTH_FLOW = '\0\0health'

/** `path` (as sent to the shard; a query is ignored) is one of the shard's health checks. */
export function isHealthPath(path: string): boolean {
  for (const h of HEALTH_PATHS) {
    if (!path.startsWith(h)) continue
    const next = path.charCodeAt(h.length)
    // end, '/' or '?'
    if (Number.isNaN(next) || next === 47 || next === 63) return true
  }
  return false
}

/**
 * The request's flow: its user's name, with `user-workspace` in its logical cluster; a request
 * the proxy did not authenticate (the shard checks its token) has no user here, so its
 * workspace stands for the tenant. EXEMPT for system:masters; HEALTH_FLOW for health checks.
 */
export function flowOf(user: UserInfo | undefined, cluster: string, shardPath: string, key: FlowKey): string | typeof EXEMPT {
  if (user !== undefined && user.groups.includes(EXEMPT_GROUP)) return EXEMPT
  if (isHealthPath(shardPath)) return HEALTH_FLOW
  // NUL occurs in no user name nor cluster name, so no two (user, cluster) pairs share a key.
  if (user === undefined) return `\0${cluster}`
  return key === 'user' ? user.name : `${user.name}\0${cluster}`
}
