// Resource requests: verb selection, identity suffixes, wildcard rules, authorization, then the verb itself.
import { authorize, isMaster } from './auth.js'
import { decodeObject, mediaType, parseJSON, parseYAMLBody, readBody } from './body.js'
import { patchTypeOf, type DeleteOptions } from './core.js'
import type { Request } from './handler.js'
import { list, listEnvelope, listJSON } from './list.js'
import type { Json } from './patch.js'
import { groupVersion, resourceKey, type ResourceDef } from './resources.js'
import { sendJSON, sendPlain404, STREAM_BATCH, streamJSONArray } from './respond.js'
import { selfSubjectAccessReview, selfSubjectReview, subjectAccessReview } from './reviews.js'
import type { ResourceRoute } from './routes.js'
import { parseFieldSelector, parseLabelSelector } from './selectors.js'
import { badRequest, deleteSuccess, forbidden, methodNotAllowed, unsupportedMediaType } from './status.js'
import type { KubeObject, StoredObject } from './store.js'
import { includeObjectOf, negotiateTable, printerFor, tableContentType, tableEventEncoder, tableJSON, type TableOptions } from './table.js'
import type { Printer } from './table-columns.js'
import { serveWatch, validateWatch } from './watch.js'

const isTrue = (v: string | null): boolean => v === 'true' || v === '1'

function verbOf(method: string, rt: ResourceRoute, q: URLSearchParams): string | undefined {
  const named = rt.name !== undefined
  switch (method) {
    case 'GET': case 'HEAD': return rt.watchPath || isTrue(q.get('watch')) ? 'watch' : named ? 'get' : 'list'
    case 'POST': return named ? undefined : 'create'
    case 'PUT': return named ? 'update' : undefined
    case 'PATCH': return named ? 'patch' : undefined
    case 'DELETE': return named ? 'delete' : 'deletecollection'
    default: return undefined
  }
}

export async function handleResource(r: Request, rt: ResourceRoute): Promise<void> {
  const { def } = rt
  const wildcard = r.cluster === '*'
  // kcp bound resources need their APIExport identity on wildcard requests; LogicalClusters never carry one.
  if (rt.identity !== undefined || (wildcard && def.identity !== undefined)) {
    if (def.identity === undefined || rt.identity !== r.ctx.directory.identityHash(def.identity)) return sendPlain404(r.res)
  }
  const verb = verbOf(r.req.method ?? 'GET', rt, r.query)
  if (verb === undefined || !def.verbs.includes(verb)) throw methodNotAllowed()
  if (wildcard && verb !== 'list' && verb !== 'watch') throw methodNotAllowed()
  const ns = rt.namespace
  const attrs = { verb, group: def.group, resource: def.resource, ...(ns !== undefined ? { namespace: ns } : {}), ...(rt.name !== undefined ? { name: rt.name } : {}) }
  // Self reviews are open to every authenticated user (system:basic-user in Kubernetes).
  const selfReview = def.resource === 'selfsubjectreviews' || def.resource === 'selfsubjectaccessreviews'
  const allowed = wildcard ? isMaster(r.user) : selfReview || authorize(r.user, { resource: attrs })
  if (!allowed) throw forbidden({ user: r.user.username, ...attrs })

  if (def.review) return review(r, def)
  switch (verb) {
    case 'get': return get(r, rt)
    case 'list': return doList(r, rt)
    case 'watch': return doWatch(r, rt)
    case 'create': return create(r, rt)
    case 'update': return update(r, rt)
    case 'patch': return patch(r, rt)
    case 'delete': return del(r, rt)
    default: return deleteCollection(r, rt)
  }
}

/** The Table kubectl asked for (Accept `as=Table`), with the kind's columns; undefined = plain objects. */
function asTable(r: Request, rt: ResourceRoute): { printer: Printer; opts: TableOptions } | undefined {
  const version = negotiateTable(r.req.headers.accept)
  const printer = printerFor(resourceKey(rt.def))
  return version === undefined || printer === undefined ? undefined : { printer, opts: { version, include: includeObjectOf(r.query) } }
}

function get(r: Request, rt: ResourceRoute): void {
  const o = r.ctx.core.get(rt.def, r.cluster, rt.namespace ?? '', rt.name ?? '')
  const t = asTable(r, rt)
  if (t) return sendJSON(r.res, 200, tableJSON(t.printer, [o], { resourceVersion: String(o.rv) }, t.opts), tableContentType(t.opts.version))
  sendJSON(r.res, 200, o.json)
}

function selectors(r: Request): { labels: ReturnType<typeof parseLabelSelector>; fields: ReturnType<typeof parseFieldSelector> } {
  const fields = parseFieldSelector(r.query.get('fieldSelector') ?? undefined)
  return { labels: parseLabelSelector(r.query.get('labelSelector') ?? undefined), fields }
}

function optional(v: string | null): string | undefined {
  return v === null ? undefined : v
}

function doList(r: Request, rt: ResourceRoute): Promise<void> | void {
  if (r.query.has('sendInitialEvents')) throw badRequest('sendInitialEvents is forbidden for list')
  const limitRaw = r.query.get('limit')
  const limit = limitRaw === null || limitRaw === '' ? undefined : Number(limitRaw)
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw badRequest(`invalid limit: ${JSON.stringify(limitRaw)}`)
  const result = list(r.ctx.store, {
    res: resourceKey(rt.def), cluster: r.cluster, ...(rt.namespace !== undefined ? { namespace: rt.namespace } : {}),
    resourceVersion: optional(r.query.get('resourceVersion')), resourceVersionMatch: optional(r.query.get('resourceVersionMatch')),
    limit, continueToken: optional(r.query.get('continue')), ...selectors(r),
  })
  const t = asTable(r, rt)
  if (t) {
    const meta = { resourceVersion: String(result.rv), ...(result.continueToken !== undefined ? { continueToken: result.continueToken } : {}), ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}) }
    return sendJSON(r.res, 200, tableJSON(t.printer, result.items, meta, t.opts), tableContentType(t.opts.version))
  }
  if (result.items.length <= STREAM_BATCH) return sendJSON(r.res, 200, listJSON(rt.def.kind, groupVersion(rt.def), result))
  const { head, tail } = listEnvelope(rt.def.kind, groupVersion(rt.def), result)
  return streamJSONArray(r.res, head, result.items, tail)
}

function doWatch(r: Request, rt: ResourceRoute): void {
  const sel = selectors(r)
  // The legacy `/watch/.../<name>` form watches one object.
  const fields = rt.name !== undefined ? [...sel.fields, { field: 'metadata.name' as const, op: 'eq' as const, value: rt.name }] : sel.fields
  const ts = r.query.get('timeoutSeconds')
  const q = {
    res: resourceKey(rt.def), cluster: r.cluster, ...(rt.namespace !== undefined ? { namespace: rt.namespace } : {}),
    kind: rt.def.kind, apiVersion: groupVersion(rt.def),
    resourceVersion: optional(r.query.get('resourceVersion')), resourceVersionMatch: optional(r.query.get('resourceVersionMatch')),
    sendInitialEvents: optional(r.query.get('sendInitialEvents')), allowWatchBookmarks: isTrue(r.query.get('allowWatchBookmarks')),
    timeoutSeconds: ts === null || ts === '' ? undefined : Number(ts), labels: sel.labels, fields,
  }
  if (q.timeoutSeconds !== undefined && !(q.timeoutSeconds >= 0)) throw badRequest(`invalid timeoutSeconds: ${JSON.stringify(ts)}`)
  validateWatch(q, r.ctx.store.rv)
  const t = asTable(r, rt)
  serveWatch(r.ctx.store, q, r.res, r.ctx.watches, { bookmarkIntervalMs: r.ctx.bookmarkIntervalMs, ...(t ? { encode: tableEventEncoder(t.printer, t.opts) } : {}) })
}

function writeOpts(r: Request, rt: ResourceRoute): { fieldManager?: string; dryRun?: boolean; subresource?: string } {
  const o: { fieldManager?: string; dryRun?: boolean; subresource?: string } = {}
  const fm = r.query.get('fieldManager')
  if (fm !== null) o.fieldManager = fm
  if (r.query.get('dryRun') === 'All') o.dryRun = true
  if (rt.subresource !== undefined) o.subresource = rt.subresource
  return o
}

async function bodyObject(r: Request): Promise<KubeObject> {
  const v = decodeObject(await readBody(r.req), r.req.headers['content-type'])
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest('the body of the request must be an object')
  return v as KubeObject
}

async function create(r: Request, rt: ResourceRoute): Promise<void> {
  const o = r.ctx.core.create(rt.def, r.cluster, rt.namespace ?? '', await bodyObject(r), writeOpts(r, rt))
  sendJSON(r.res, 201, o.json)
}

async function update(r: Request, rt: ResourceRoute): Promise<void> {
  const o = r.ctx.core.update(rt.def, r.cluster, rt.namespace ?? '', rt.name ?? '', await bodyObject(r), writeOpts(r, rt))
  sendJSON(r.res, 200, o.json)
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']

async function patch(r: Request, rt: ResourceRoute): Promise<void> {
  const ct = r.req.headers['content-type'] ?? ''
  const type = patchTypeOf(ct)
  if (type === undefined) throw unsupportedMediaType(mediaType(ct), PATCH_TYPES)
  const buf = await readBody(r.req)
  const opts = writeOpts(r, rt)
  if (type === 'apply' && opts.fieldManager === undefined) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
  const body = (type === 'apply' ? parseYAMLBody(buf) : parseJSON(buf)) as Json
  const { obj, created } = r.ctx.core.patch(rt.def, r.cluster, rt.namespace ?? '', rt.name ?? '', type, body, opts)
  sendJSON(r.res, created ? 201 : 200, obj.json)
}

async function deleteOptions(r: Request): Promise<DeleteOptions> {
  const buf = await readBody(r.req)
  const o: DeleteOptions = {}
  if (buf.length > 0) {
    const v = mediaType(r.req.headers['content-type']) === 'application/yaml' ? parseYAMLBody(buf) : parseJSON(buf)
    if (typeof v === 'object' && v !== null) Object.assign(o, v)
    if ((v as { dryRun?: unknown } | null)?.dryRun !== undefined) o.dryRun = Array.isArray((v as { dryRun: unknown }).dryRun) && ((v as { dryRun: string[] }).dryRun).includes('All')
  }
  const pp = r.query.get('propagationPolicy')
  if (pp !== null) o.propagationPolicy = pp
  if (r.query.get('dryRun') === 'All') o.dryRun = true
  return o
}

function deletedBody(def: ResourceDef, o: StoredObject, gone: boolean): string {
  if (gone && def.deleteReturnsStatus) return JSON.stringify(deleteSuccess(def.group, def.resource, o.name, o.obj.metadata.uid ?? ''))
  if (gone && def.resource === 'namespaces') {
    // The apiserver answers with the namespace in Terminating; here its content is already gone.
    const obj = { ...o.obj, metadata: { ...o.obj.metadata, deletionTimestamp: o.obj.metadata.deletionTimestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }, status: { phase: 'Terminating' } }
    return JSON.stringify(obj)
  }
  return o.json
}

async function del(r: Request, rt: ResourceRoute): Promise<void> {
  const opts = await deleteOptions(r)
  const { obj, gone } = r.ctx.core.delete(rt.def, r.cluster, rt.namespace ?? '', rt.name ?? '', opts)
  const code = !gone && opts.propagationPolicy === 'Foreground' ? 202 : 200
  sendJSON(r.res, code, deletedBody(rt.def, obj, gone))
}

async function deleteCollection(r: Request, rt: ResourceRoute): Promise<void> {
  const opts = await deleteOptions(r)
  const sel = selectors(r)
  const current = list(r.ctx.store, { res: resourceKey(rt.def), cluster: r.cluster, ...(rt.namespace !== undefined ? { namespace: rt.namespace } : {}), ...sel })
  const deleted: StoredObject[] = []
  for (const o of current.items) deleted.push(r.ctx.core.delete(rt.def, r.cluster, o.namespace, o.name, opts).obj)
  sendJSON(r.res, 200, listJSON(rt.def.kind, groupVersion(rt.def), { items: deleted, rv: r.ctx.store.rv }))
}

async function review(r: Request, def: ResourceDef): Promise<void> {
  const body = await bodyObject(r)
  let out: Record<string, unknown>
  if (def.resource === 'selfsubjectreviews') out = selfSubjectReview(r.user)
  else if (def.resource === 'selfsubjectaccessreviews') out = selfSubjectAccessReview(body, r.user, r.clusterKnown)
  else out = subjectAccessReview(body, r.clusterKnown)
  sendJSON(r.res, 201, JSON.stringify(out))
}
