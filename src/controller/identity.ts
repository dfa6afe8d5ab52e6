// APIExport identities: kcp serves wildcard (`/clusters/*`) requests for exported
// resources only when the resource carries the export's identity hash
// (`workspaces:<hash>`). We resolve the four root exports once and decorate wildcard
// paths exactly like upstream's identity round tripper (docs/upstream.md#identities).
import type { ListWatchClient } from '../kube/client.js'

/** Keys are either an API group or a `group/resource`; values are APIExport names in `root`. */
export const groupExports: Readonly<Record<string, string>> = {
  'tenancy.kcp.io': 'tenancy.kcp.io',
  'topology.kcp.io': 'topology.kcp.io',
}
export const groupResourceExports: Readonly<Record<string, string>> = {
  'core.kcp.io/shards': 'shards.core.kcp.io',
  'migration.kcp.io/logicalclustermigrations': 'migration.kcp.io',
}

/** Resolved identity hashes by APIExport name. */
export type Identities = ReadonlyMap<string, string>

export class IdentityError extends Error {
  override name = 'IdentityError'
}

/**
 * Adds the identity hash to the resource of a wildcard path. Pure. Non-wildcard paths and
 * logicalclusters (a core resource, never exported) are returned unchanged.
 */
export function decorateWildcardPath(path: string, identities: Identities): string {
  if (!path.startsWith('/clusters/*/apis/')) return path
  const q = path.indexOf('?')
  const pathname = q === -1 ? path : path.slice(0, q)
  const query = q === -1 ? '' : path.slice(q)
  // Like Go's strings.SplitN(..., "/", 7): clusters, *, apis, group, version, resource, rest.
  const comps = splitN(pathname.replace(/^\//, ''), '/', 7)
  if (comps.length < 6) return path
  const group = comps[3]
  const [resource, presetIdentity] = splitOnce(comps[5], ':')
  const gr = `${group}/${resource}`
  if (gr === 'core.kcp.io/logicalclusters') return path
  const exportName = groupResourceExports[gr] ?? groupExports[group]
  if (exportName === undefined) return path
  const id = identities.get(exportName)
  if (!id) throw new IdentityError(`identity for ${gr} is unknown`)
  if (presetIdentity !== undefined && presetIdentity !== id) throw new IdentityError(`invalid identity "${presetIdentity}" for resource "${resource}"`)
  comps[5] = `${resource}:${id}`
  return '/' + cleanJoin(comps) + query
}

function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = []
  let rest = s
  while (out.length < n - 1) {
    const i = rest.indexOf(sep)
    if (i === -1) break
    out.push(rest.slice(0, i))
    rest = rest.slice(i + sep.length)
  }
  out.push(rest)
  return out
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep)
  return i === -1 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)]
}

/** Go's path.Join: joins with '/', then cleans (drops empty segments and resolves '.'/'..'). */
function cleanJoin(parts: string[]): string {
  const out: string[] = []
  for (const seg of parts.join('/').split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') out.pop()
    else out.push(seg)
  }
  return out.join('/')
}

export const allExportNames = [...new Set([...Object.values(groupExports), ...Object.values(groupResourceExports)])]

export interface ResolveOptions {
  /** Poll interval, default 500 ms (upstream). */
  intervalMs?: number
  signal?: AbortSignal
  /** Called with each failed attempt's reason (missing or not-ready exports). */
  onAttemptFailed?: (message: string) => void
}

/** One attempt: the identities found so far and what is still missing. */
export async function resolveIdentitiesOnce(root: ListWatchClient, known: Map<string, string>, signal?: AbortSignal): Promise<string[]> {
  // The four GETs are independent: ask in parallel so start-up pays one round trip, not four.
  const results = await Promise.all(
    allExportNames
      .filter((name) => !known.get(name))
      .map(async (name): Promise<string | undefined> => {
        try {
          const res = await root.getJSON(`/clusters/root/apis/apis.kcp.io/v1alpha2/apiexports/${name}`, signal)
          const hash = (res.body as { status?: { identityHash?: string } } | undefined)?.status?.identityHash
          if (res.status !== 200) return `APIExport ${name}: HTTP ${res.status}`
          if (!hash) return `APIExport ${name} is not ready`
          known.set(name, hash)
          return undefined
        } catch (err) {
          if (signal?.aborted) throw err
          return `APIExport ${name}: ${(err as Error).message}`
        }
      }),
  )
  return results.filter((p): p is string => p !== undefined)
}

/** Polls until all four identities resolve (upstream blocks start-up the same way). Rejects only when aborted. */
export async function resolveIdentities(root: ListWatchClient, opts: ResolveOptions = {}): Promise<Map<string, string>> {
  const known = new Map<string, string>()
  for (;;) {
    const problems = await resolveIdentitiesOnce(root, known, opts.signal)
    if (problems.length === 0) return known
    opts.onAttemptFailed?.(problems.join('; '))
    await new Promise<void>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new Error('aborted'))
      const timer = setTimeout(() => {
        opts.signal?.removeEventListener('abort', onAbort)
        resolve()
      }, opts.intervalMs ?? 500)
      const onAbort = () => {
        clearTimeout(timer)
        reject(new Error('aborted'))
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
