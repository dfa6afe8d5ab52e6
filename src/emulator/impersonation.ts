// Impersonation as a kcp shard does it, in the order of its handler chain:
//  1. kcp's gatekeeper: a caller outside system:masters may not set extras whose key contains "kcp.io", and
//     may only impersonate kcp's special groups (system:masters, system:kcp:admin, …) it is itself in;
//  2. the Kubernetes impersonation filter: Impersonate-User (or a service account), every Impersonate-Group
//     line, every Impersonate-Extra-<key> line, Impersonate-Uid, each checked as verb `impersonate` with
//     the authorizer; groups or extras without a user are a 400;
//  3. kcp's scoping: unless the caller is in system:masters, the impersonated user gets extra
//     `authentication.kcp.io/scopes: cluster:<logical cluster>`, so it cannot leave this workspace.
// Messages are the apiserver's own (k8s endpoints/filters/impersonation, kcp pkg/server/filters).
import { authorize, isMaster, KCP_ADMIN, MASTERS, type AccessAttributes, type Identity } from './auth.js'
import type { DistinctHeaders } from './headers.js'
import { badRequest, forbidden, forbiddenPlain } from './status.js'

const USER = 'impersonate-user'
const GROUP = 'impersonate-group'
const UID = 'impersonate-uid'
const EXTRA = 'impersonate-extra-'
const SCOPES = 'authentication.kcp.io/scopes'
const AUTHENTICATED = 'system:authenticated'
const UNAUTHENTICATED = 'system:unauthenticated'

/** Groups a caller may only impersonate when it is in them itself (kcp's specialGroups). */
const SPECIAL_GROUPS = new Set([
  MASTERS, 'system:kcp:logical-cluster-admin', 'system:kcp:external-logical-cluster-admin',
  'system:kcp:tenancy:workspace-bootstrapper', KCP_ADMIN, AUTHENTICATED,
])

/** One thing to impersonate, shaped like the v1.ObjectReference the apiserver builds (its %v is in messages). */
interface Target {
  kind: 'ServiceAccount' | 'User' | 'Group' | 'UserExtra' | 'UID'
  namespace?: string
  name: string
  apiVersion?: string
  fieldPath?: string
}

/** Go's CanonicalMIMEHeaderKey for token-only names: the form kcp's gatekeeper sees and names in its message. */
function canonical(name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return name
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
}

/** url.PathUnescape, keeping the raw key when it is malformed (as the apiserver does). */
function pathUnescape(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

function extraHeaders(h: DistinctHeaders): [string, string[]][] {
  return Object.entries(h).filter(([name]) => name.startsWith(EXTRA) && name.length > EXTRA.length)
}

/** `system:serviceaccount:<ns>:<name>` with DNS-label parts; anything else is a plain user. */
function serviceAccount(user: string): { namespace: string; name: string } | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user)
  if (!m) return undefined
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
  return label.test(m[1]) && m[1].length <= 63 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(m[2]) ? { namespace: m[1], name: m[2] } : undefined
}

/** `{Group  team-x    }`: Go's %v of an ObjectReference (Kind Namespace Name UID APIVersion ResourceVersion FieldPath). */
function goFormat(ts: Target[]): string {
  return `[${ts.map((t) => `{${[t.kind, t.namespace ?? '', t.name, '', t.apiVersion ?? '', '', t.fieldPath ?? ''].join(' ')}}`).join(' ')}]`
}

function targets(h: DistinctHeaders): Target[] {
  const out: Target[] = []
  const user = h[USER]?.[0] ?? ''
  if (user !== '') {
    const sa = serviceAccount(user)
    out.push(sa ? { kind: 'ServiceAccount', ...sa } : { kind: 'User', name: user })
  }
  for (const g of h[GROUP] ?? []) out.push({ kind: 'Group', name: g })
  for (const [name, values] of extraHeaders(h)) {
    const key = pathUnescape(name.slice(EXTRA.length))
    for (const v of values) out.push({ kind: 'UserExtra', name: v, apiVersion: 'authentication.k8s.io/v1', fieldPath: key })
  }
  const uid = h[UID]?.[0] ?? ''
  if (uid !== '') out.push({ kind: 'UID', name: uid, apiVersion: 'authentication.k8s.io/v1' })
  if (user === '' && out.length > 0) throw badRequest(`requested ${goFormat(out)} without impersonating a user`)
  return out
}

/** kcp's WithImpersonationGatekeeper; true when the request asks to impersonate (UID alone does not count). */
function gatekeeper(requester: Identity, h: DistinctHeaders): boolean {
  const groups = h[GROUP] ?? []
  const extras = extraHeaders(h)
  if ((h[USER]?.[0] ?? '') === '' && groups.length === 0 && extras.length === 0) return false
  if (isMaster(requester)) return true
  for (const [name] of extras) {
    const key = pathUnescape(canonical(name).slice(EXTRA.length))
    if (key.toLowerCase().includes('kcp.io')) throw forbiddenPlain(`impersonating the extra key ${JSON.stringify(key)} is not allowed for the requestor`)
  }
  for (const g of groups) if (SPECIAL_GROUPS.has(g) && !requester.groups.includes(g)) throw forbiddenPlain('impersonation is not allowed for the requestor')
  return true
}

function attributes(t: Target): NonNullable<AccessAttributes['resource']> {
  switch (t.kind) {
    case 'ServiceAccount': return { verb: 'impersonate', group: '', resource: 'serviceaccounts', namespace: t.namespace ?? '', name: t.name }
    case 'User': return { verb: 'impersonate', group: '', resource: 'users', name: t.name }
    case 'Group': return { verb: 'impersonate', group: '', resource: 'groups', name: t.name }
    case 'UserExtra': return { verb: 'impersonate', group: 'authentication.k8s.io', resource: 'userextras', subresource: t.fieldPath ?? '', name: t.name }
    default: return { verb: 'impersonate', group: 'authentication.k8s.io', resource: 'uids', name: t.name }
  }
}

/**
 * The identity a request acts as: `requester` itself when it asks for no impersonation, else the
 * impersonated user. Throws the apiserver's 400/403 Status when the request may not impersonate.
 * `cluster` is the logical cluster the request is for (the scope kcp adds).
 */
export function impersonate(requester: Identity, h: DistinctHeaders, cluster: string): Identity {
  const gated = gatekeeper(requester, h)
  const wanted = targets(h)
  if (wanted.length === 0) return requester
  const groupsSpecified = (h[GROUP] ?? []).length > 0
  let username = ''
  let uid: string | undefined
  let groups: string[] = []
  const extra: Record<string, string[]> = {}
  for (const t of wanted) {
    const attrs = attributes(t)
    if (!authorize(requester, { resource: attrs })) throw forbidden({ user: requester.username, ...attrs })
    if (t.kind === 'ServiceAccount') {
      username = `system:serviceaccount:${t.namespace ?? ''}:${t.name}`
      if (!groupsSpecified) groups = ['system:serviceaccounts', `system:serviceaccounts:${t.namespace ?? ''}`]
    } else if (t.kind === 'User') username = t.name
    else if (t.kind === 'Group') groups.push(t.name)
    else if (t.kind === 'UserExtra') (extra[t.fieldPath ?? ''] ??= []).push(t.name)
    else uid = t.name
  }
  if (username !== 'system:anonymous') {
    if (!groups.includes(AUTHENTICATED) && !groups.includes(UNAUTHENTICATED)) groups.push(AUTHENTICATED)
  } else if (!groups.includes(UNAUTHENTICATED)) groups.push(UNAUTHENTICATED)
  // kcp scopes every impersonation of a non-masters caller to the logical cluster it was made in.
  if (gated && !isMaster(requester)) extra[SCOPES] = [...(extra[SCOPES] ?? []), `cluster:${cluster}`]
  const out: Identity = { username, groups, extra }
  if (uid !== undefined) out.uid = uid
  return out
}
