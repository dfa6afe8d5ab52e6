// Kubernetes Status bodies exactly as kube-apiserver writes them (docs/upstream.md#kube-api). One place, so the
// field order and wording stay identical across handlers.
import { statusBody, type KubeStatus, type StatusDetails } from '../errors.js'

export class StatusError extends Error {
  constructor(readonly status: KubeStatus) {
    super(status.message)
    this.name = 'StatusError'
  }
  get code(): number {
    return this.status.code
  }
}

/** `configmaps` for the core group, `workspaces.tenancy.kcp.io` otherwise. */
export function qualifiedResource(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`
}

function details(group: string, resource: string, name?: string): StatusDetails {
  const d: StatusDetails = {}
  if (name !== undefined && name !== '') d.name = name
  if (group !== '') d.group = group
  d.kind = resource
  return d
}

export function notFound(group: string, resource: string, name: string): StatusError {
  return new StatusError(statusBody(404, 'NotFound', `${qualifiedResource(group, resource)} ${JSON.stringify(name)} not found`, details(group, resource, name)))
}

export function alreadyExists(group: string, resource: string, name: string): StatusError {
  return new StatusError(statusBody(409, 'AlreadyExists', `${qualifiedResource(group, resource)} ${JSON.stringify(name)} already exists`, details(group, resource, name)))
}

export function conflict(group: string, resource: string, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
  return new StatusError(statusBody(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} ${JSON.stringify(name)}: ${why}`, details(group, resource, name)))
}

export interface ForbiddenInput {
  user: string
  verb: string
  group: string
  resource: string
  /** Named in the message as `resource/subresource`; the Status details keep the resource alone. */
  subresource?: string
  name?: string
  namespace?: string
  reason?: string
}

export function forbidden(f: ForbiddenInput): StatusError {
  const qr = qualifiedResource(f.group, f.resource)
  const subject = f.name !== undefined && f.name !== '' ? `${qr} ${JSON.stringify(f.name)}` : qr
  const scope = f.namespace !== undefined && f.namespace !== '' ? `in the namespace ${JSON.stringify(f.namespace)}` : 'at the cluster scope'
  const suffix = f.reason !== undefined ? `: ${f.reason}` : ''
  const resource = f.subresource !== undefined && f.subresource !== '' ? `${f.resource}/${f.subresource}` : f.resource
  const msg = `${subject} is forbidden: User ${JSON.stringify(f.user)} cannot ${f.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(f.group)} ${scope}${suffix}`
  return new StatusError(statusBody(403, 'Forbidden', msg, details(f.group, f.resource, f.name)))
}

/** `apierrors.NewForbidden` without a resource: `forbidden: <why>`, empty details (kcp's impersonation gatekeeper). */
export function forbiddenPlain(why: string): StatusError {
  return new StatusError(statusBody(403, 'Forbidden', `forbidden: ${why}`, {}))
}

/** Non-resource or workspace-level denial: `forbidden: User "u" cannot get path "/x": reason`. */
export function forbiddenPath(user: string, verb: string, path: string, reason?: string): StatusError {
  const suffix = reason !== undefined ? `: ${reason}` : ''
  return new StatusError(statusBody(403, 'Forbidden', `forbidden: User ${JSON.stringify(user)} cannot ${verb} path ${JSON.stringify(path)}${suffix}`, {}))
}

export function unauthorized(): StatusError {
  return new StatusError(statusBody(401, 'Unauthorized', 'Unauthorized'))
}

export function badRequest(message: string): StatusError {
  return new StatusError(statusBody(400, 'BadRequest', message))
}

export function methodNotAllowed(): StatusError {
  return new StatusError(statusBody(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}))
}

export function unsupportedMediaType(contentType: string, accepted: string[]): StatusError {
  const what = contentType === '' ? 'the body of the request was in an unknown format' : `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`
  return new StatusError(statusBody(415, 'UnsupportedMediaType', what))
}

export interface Cause {
  reason: string
  message: string
  field: string
}

/** 422: `details.kind` is the Kind here, unlike every other error. */
export function invalid(kind: string, group: string, name: string, causes: Cause[]): StatusError {
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ')
  const d: StatusDetails = { name }
  if (group !== '') d.group = group
  d.kind = kind
  d.causes = causes
  const subject = group === '' ? kind : `${kind}.${group}`
  const label = name === '' ? `${subject} ""` : `${subject} ${JSON.stringify(name)}`
  return new StatusError(statusBody(422, 'Invalid', `${label} is invalid: ${summary}`, d))
}

/** 422 on ListOptions (resourceVersionMatch / sendInitialEvents rules). */
export function invalidListOptions(field: string, message: string): StatusError {
  return new StatusError(statusBody(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'meta.k8s.io', kind: 'ListOptions', causes: [{ reason: 'FieldValueForbidden', message, field }],
  }))
}

export function expiredWatch(rv: number, oldest: number): KubeStatus {
  return statusBody(410, 'Expired', `too old resource version: ${rv} (${oldest})`)
}

export function expiredList(): StatusError {
  return new StatusError(statusBody(410, 'Expired', 'The resourceVersion for the provided list is too old.'))
}

export function expiredContinue(): StatusError {
  return new StatusError(statusBody(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'))
}

export function tooLargeResourceVersion(rv: number, current: number): StatusError {
  return new StatusError(statusBody(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1,
  }))
}

export function internalError(message: string): StatusError {
  return new StatusError(statusBody(500, 'InternalError', `Internal error occurred: ${message}`))
}

/** Delete of a built-in kind: Status Success whose `details.kind` is the resource (sic, as the apiserver does). */
export function deleteSuccess(group: string, resource: string, name: string, uid: string): Record<string, unknown> {
  const d: Record<string, unknown> = { name }
  if (group !== '') d.group = group
  d.kind = resource
  d.uid = uid
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: d }
}
