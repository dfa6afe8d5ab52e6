// k8s healthz text formats (docs/upstream.md#kubernetes) for /livez and /readyz, from the controller's
// readiness() plus the server's own `shutdown` check (fails first when draining).
import type { ReadinessCheck } from '../controller/types.js'

/** The check name upstream's /readyz has (`/readyz/informer-sync`). */
export const UPSTREAM_READYZ_CHECK = 'informer-sync'

export interface HealthAnswer {
  status: number
  body: string
}

/**
 * Renders a healthz answer. `subpath` is the check name after `/readyz/` ('' for the
 * aggregate); `query` the raw query string (without `?`).
 */
export function renderHealth(kind: 'livez' | 'readyz', checks: readonly ReadinessCheck[], subpath: string, query: string): HealthAnswer {
  const params = new URLSearchParams(query)
  if (subpath !== '') {
    // Upstream's one readiness check; probes written for the Go proxy ask for it by name. Here it
    // stands for the whole readiness (our checks are finer: identities, Shards, each shard).
    if (kind === 'readyz' && subpath === UPSTREAM_READYZ_CHECK && !checks.some((x) => x.name === subpath)) {
      const failed = checks.filter((c) => !c.ok && c.blocking !== false)
      return failed.length === 0 ? { status: 200, body: 'ok' } : { status: 500, body: `internal server error: ${failed.map((c) => c.name).join(', ')} not ready\n` }
    }
    const c = checks.find((x) => x.name === subpath)
    if (c === undefined) return { status: 404, body: '404 page not found\n' }
    return c.ok ? { status: 200, body: 'ok' } : { status: 500, body: `internal server error: ${c.message ?? 'check failed'}\n` }
  }
  const excluded = new Set(params.getAll('exclude'))
  const verbose = params.has('verbose')
  let ok = true
  let out = ''
  for (const c of checks) {
    if (excluded.has(c.name)) {
      out += `[+]${c.name} excluded: ok\n`
      continue
    }
    if (c.ok) out += `[+]${c.name} ok\n`
    else if (c.blocking === false) {
      // Reported, but by design it does not take the replica out of rotation (a shard that
      // missed its sync deadline must not keep every replica unready).
      out += `[-]${c.name} failed (not blocking): reason withheld\n`
    } else {
      ok = false
      // The reason is withheld from unauthenticated callers (k8s lib); it is in the logs.
      out += `[-]${c.name} failed: reason withheld\n`
    }
  }
  // k8s warns about excludes that named no check.
  for (const name of excluded) if (!checks.some((c) => c.name === name)) out += `warn: some health checks cannot be excluded: no matches for "${name}"\n`
  if (ok) return { status: 200, body: verbose ? `${out}${kind} check passed\n` : 'ok' }
  return { status: 500, body: `${out}${kind} check failed\n` }
}
