// Create-only review resources: SelfSubjectReview (who am I to this shard), SelfSubjectAccessReview and
// SubjectAccessReview (answered by the emulator's authorizer; the proxy's /metrics check uses SAR).
import { authorize, type AccessAttributes, type Identity } from './auth.js'
import { badRequest } from './status.js'

type Obj = Record<string, unknown>

const text = (v: unknown): string => (typeof v === 'string' ? v : '')

export function selfSubjectReview(u: Identity): Obj {
  const userInfo: Obj = { username: u.username }
  if (u.uid !== undefined) userInfo.uid = u.uid
  userInfo.groups = u.groups
  if (Object.keys(u.extra).length > 0) userInfo.extra = u.extra
  return { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo } }
}

function attributes(spec: Obj): AccessAttributes {
  const ra = spec.resourceAttributes as Obj | undefined
  const nra = spec.nonResourceAttributes as Obj | undefined
  if (nra && typeof nra === 'object') return { nonResource: { path: text(nra.path), verb: text(nra.verb) } }
  if (ra && typeof ra === 'object') {
    const r: NonNullable<AccessAttributes['resource']> = { verb: text(ra.verb), group: text(ra.group), resource: text(ra.resource) }
    if (typeof ra.subresource === 'string' && ra.subresource !== '') r.subresource = ra.subresource
    if (typeof ra.namespace === 'string') r.namespace = ra.namespace
    if (typeof ra.name === 'string') r.name = ra.name
    return { resource: r }
  }
  throw badRequest('exactly one of nonResourceAttributes or resourceAttributes must be specified')
}

function review(kind: string, body: Obj, who: Identity, clusterKnown: boolean): Obj {
  const spec = (body.spec ?? {}) as Obj
  const attrs = attributes(spec)
  // Resource access also needs the logical cluster to exist (kcp's workspace authorizer), unless masters.
  const allowed = authorize(who, attrs) && (attrs.nonResource !== undefined || clusterKnown || who.groups.includes('system:masters'))
  const status: Obj = { allowed }
  // Like RBAC: a reason only when allowed (kubectl prints a denial reason after "no").
  if (allowed) status.reason = 'allowed by the kcp emulator authorizer'
  return { kind, apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status }
}

export function selfSubjectAccessReview(body: Obj, u: Identity, clusterKnown: boolean): Obj {
  return review('SelfSubjectAccessReview', body, u, clusterKnown)
}

export function subjectAccessReview(body: Obj, clusterKnown: boolean): Obj {
  const spec = (body.spec ?? {}) as Obj
  const who: Identity = {
    username: typeof spec.user === 'string' ? spec.user : '',
    groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [],
    extra: {},
  }
  return review('SubjectAccessReview', body, who, clusterKnown)
}
