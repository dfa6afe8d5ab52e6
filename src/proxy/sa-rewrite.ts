// In-cluster service-account rewrite (docs/upstream.md#service-account-rewrite). A pod in a workspace talks to
// `https://kubernetes.default.svc/api/...` without a cluster prefix; its token names the
// logical cluster, so the path is prefixed with `/clusters/<that cluster>`. The signature is
// not verified here (upstream neither): the shard verifies the token, this only routes it.
import { posix } from 'node:path'

const BEARER = 'Bearer '

function claimCluster(token: string): string | undefined {
  const a = token.indexOf('.')
  const b = a < 0 ? -1 : token.indexOf('.', a + 1)
  if (a <= 0 || b < 0 || token.indexOf('.', b + 1) >= 0) return undefined
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(token.slice(a + 1, b), 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof claims !== 'object' || claims === null) return undefined
  const c = claims as Record<string, unknown>
  const k8s = c['kubernetes.io']
  if (typeof k8s === 'object' && k8s !== null) {
    const name = (k8s as Record<string, unknown>).clusterName
    if (typeof name === 'string' && name !== '') return name
  }
  const legacy = c['kubernetes.io/serviceaccount/clusterName']
  return typeof legacy === 'string' && legacy !== '' ? legacy : undefined
}

/**
 * Returns the rewritten path, or undefined when the request is not an in-cluster SA request.
 * `path` is the raw path (no query).
 */
export function inClusterServiceAccountPath(
  path: string,
  authorization: string | undefined,
  shardedRequestHeader: string | string[] | undefined,
): string | undefined {
  if (authorization === undefined || !authorization.startsWith(BEARER)) return undefined
  if (shardedRequestHeader !== undefined && shardedRequestHeader !== '') return undefined
  if (path.startsWith('/clusters/') || path.startsWith('/services/')) return undefined
  const cluster = claimCluster(authorization.slice(BEARER.length).trim())
  // The claim is unverified: a name with a slash or dot-segments would steer path.Join elsewhere.
  if (cluster === undefined || cluster.includes('/') || cluster.startsWith('.')) return undefined
  // path.Join semantics, as upstream: cleaned, trailing slash dropped.
  const joined = posix.join('/clusters', cluster, path)
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined
}
