// kcp's GroupFilter (docs/upstream.md#global-authenticator, pkg/authentication/groups.go) and k8s' AuthenticatedGroupAdder.
// Groups like system:masters must never reach a shard through the proxy: a shard trusts
// whatever X-Remote-Group the proxy sends.
import type { UserInfo } from './types.js'

export const ALL_AUTHENTICATED = 'system:authenticated'
const ALL_UNAUTHENTICATED = 'system:unauthenticated'

export interface GroupPatterns {
  exact: ReadonlySet<string>
  prefixes: readonly string[]
}

/** `name` matches exactly, `prefix*` by prefix (only a trailing `*` is special). Empty entries are ignored. */
export function parseGroupPatterns(patterns: readonly string[]): GroupPatterns {
  const exact = new Set<string>()
  const prefixes: string[] = []
  for (const p of patterns) {
    if (p === '') continue
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1))
    else exact.add(p)
  }
  return { exact, prefixes }
}

function isEmpty(p: GroupPatterns): boolean {
  return p.exact.size === 0 && p.prefixes.length === 0
}

function matches(p: GroupPatterns, group: string): boolean {
  if (p.exact.has(group)) return true
  for (const prefix of p.prefixes) if (group.startsWith(prefix)) return true
  return false
}

export type GroupFilter = (groups: readonly string[]) => string[]

/**
 * Pass-on first (when non-empty, only matching groups stay), then drop (drop beats pass-on).
 * Matching is case-sensitive like upstream and like Kubernetes RBAC, so `System:Masters` is a
 * different (harmless) group. The result is de-duplicated and sorted, as upstream's sets.List.
 * Returns null when both lists are empty: upstream then does not wrap at all (order kept).
 */
export function createGroupFilter(passOn: readonly string[], drop: readonly string[]): GroupFilter | null {
  const pass = parseGroupPatterns(passOn)
  const dropP = parseGroupPatterns(drop)
  if (isEmpty(pass) && isEmpty(dropP)) return null
  const filterPass = !isEmpty(pass)
  return (groups) => {
    const kept = new Set<string>()
    for (const g of groups) {
      if (filterPass && !matches(pass, g)) continue
      if (matches(dropP, g)) continue
      kept.add(g)
    }
    // Go sorts strings by bytes; for UTF-16 code units this differs only above U+FFFF,
    // so compare explicitly by UTF-8 bytes when non-BMP characters appear.
    return [...kept].sort(compareGoStrings)
  }
}

/**
 * Only the drop patterns, keeping order and duplicates (null when there are none): for identities
 * that were already filtered and ordered by their own chain (per-workspace authentication).
 */
export function createDropFilter(drop: readonly string[]): GroupFilter | null {
  const dropP = parseGroupPatterns(drop)
  if (isEmpty(dropP)) return null
  return (groups) => groups.filter((g) => !matches(dropP, g))
}

export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0
  // Fast path: identical ordering for BMP-only strings without surrogates.
  if (!/[\uD800-\uDFFF]/.test(a + b)) return a < b ? -1 : 1
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** k8s AuthenticatedGroupAdder: appends system:authenticated unless already (un)authenticated. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(ALL_AUTHENTICATED) || user.groups.includes(ALL_UNAUTHENTICATED)) return user
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] }
}

/** Upstream order (docs/upstream.md#global-authenticator): the adder runs inside the union, the GroupFilter wraps it. */
export function finalizeGroups(user: UserInfo, filter: GroupFilter | null): UserInfo {
  const u = withAuthenticatedGroup(user)
  return filter === null ? u : { ...u, groups: filter(u.groups) }
}
