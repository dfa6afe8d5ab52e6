// API write semantics of one shard (create, update, patch, delete) on top of its Store, independent of HTTP.
// The kcp layer (workspace scheduling, cascades) and the HTTP layer both write through here, so every path
// produces the same objects and watch events.
import { randomUUID } from 'node:crypto'
import { jsonPatch, mergePatch, PatchError, strategicMergePatch, type Json } from './patch.js'
import { groupVersion, NAMESPACES, resourceByKey, resourceKey, type ResourceDef } from './resources.js'
import { alreadyExists, badRequest, conflict, notFound, StatusError, unsupportedMediaType } from './status.js'
import { statusBody } from '../errors.js'
import { Store, StoredObject, type KubeObject } from './store.js'
import { applyDefaults, generateSuffix, now, validateName } from './validation.js'

export const CLUSTER_ANNOTATION = 'kcp.io/cluster'

export interface WriteOptions {
  fieldManager?: string
  dryRun?: boolean
  subresource?: string
  /**
   * Written fully formed by the emulated kcp itself (bulk seeding): a Workspace keeps the status it was
   * given and the kcp write hooks (scheduling) do not run.
   */
  seeded?: boolean
}

export interface WriteHooks {
  /** Mutating admission: runs on every created or replaced object before it is stored (e.g. kcp's path annotation). */
  admit?(def: ResourceDef, cluster: string, obj: KubeObject): void
  /** Runs after every committed write; kcp behaviour (scheduling, cascades) hangs off it. */
  afterWrite(kind: 'create' | 'update' | 'delete', def: ResourceDef, obj: StoredObject, prev?: StoredObject): void
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply'

export function patchTypeOf(contentType: string): PatchType | undefined {
  const ct = contentType.split(';')[0].trim().toLowerCase()
  switch (ct) {
    case 'application/merge-patch+json': return 'merge'
    case 'application/strategic-merge-patch+json': return 'strategic'
    case 'application/json-patch+json': return 'json'
    case 'application/apply-patch+yaml': case 'application/apply-patch+cbor': return ct.endsWith('yaml') ? 'apply' : undefined
    default: return undefined
  }
}

const clone = <T>(v: T): T => structuredClone(v)

function stripVolatile(o: KubeObject): string {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata
  return JSON.stringify({ ...o, metadata: meta })
}

export class ShardCore {
  constructor(readonly store: Store, private readonly hooks: WriteHooks) {}

  get(def: ResourceDef, cluster: string, namespace: string, name: string): StoredObject {
    const o = this.store.get(resourceKey(def), cluster, def.namespaced ? namespace : '', name)
    if (!o) throw notFound(def.group, def.resource, name)
    return o
  }

  create(def: ResourceDef, cluster: string, namespace: string, input: KubeObject, o: WriteOptions = {}): StoredObject {
    const obj = this.normalise(def, input, namespace)
    if (obj.metadata.name === '' && typeof obj.metadata.generateName === 'string' && obj.metadata.generateName !== '') obj.metadata.name = obj.metadata.generateName + generateSuffix()
    validateName(def, obj)
    if (def.namespaced && !this.store.get(resourceKey(NAMESPACES), cluster, '', namespace)) throw notFound('', 'namespaces', namespace)
    if (this.store.get(resourceKey(def), cluster, obj.metadata.namespace ?? '', obj.metadata.name)) throw alreadyExists(def.group, def.resource, obj.metadata.name)
    const m = obj.metadata
    m.uid = randomUUID()
    m.creationTimestamp = now()
    delete m.resourceVersion
    delete m.deletionTimestamp
    m.annotations = { ...(m.annotations ?? {}), [CLUSTER_ANNOTATION]: cluster }
    m.managedFields = [managedField(def, o.fieldManager, 'Update')]
    this.hooks.admit?.(def, cluster, obj)
    if (def.resource === 'workspaces' && o.seeded !== true) obj.status = { phase: 'Scheduling' }
    applyDefaults(def, obj)
    if (o.dryRun) return dryRunResult(def, cluster, obj)
    const stored = this.store.create(resourceKey(def), cluster, obj)
    if (o.seeded !== true) this.hooks.afterWrite('create', def, stored)
    return stored
  }

  /** PUT semantics; `subresource: 'status'` replaces only `.status`, the main resource never changes it. */
  update(def: ResourceDef, cluster: string, namespace: string, name: string, input: KubeObject, o: WriteOptions = {}): StoredObject {
    const obj = this.normalise(def, input, namespace)
    if (obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`)
    const cur = this.get(def, cluster, namespace, name)
    const rv = obj.metadata.resourceVersion
    if (rv !== undefined && rv !== '' && rv !== String(cur.rv)) throw conflict(def.group, def.resource, name)
    return this.replace(def, cur, obj, o)
  }

  patch(def: ResourceDef, cluster: string, namespace: string, name: string, type: PatchType, patch: Json, o: WriteOptions = {}): { obj: StoredObject; created: boolean } {
    const cur = this.store.get(resourceKey(def), cluster, def.namespaced ? namespace : '', name)
    if (!cur) {
      if (type !== 'apply') throw notFound(def.group, def.resource, name)
      const input = (typeof patch === 'object' && patch !== null && !Array.isArray(patch) ? patch : {}) as unknown as KubeObject
      const body = { ...input, metadata: { ...(input.metadata ?? {}), name } } as KubeObject
      return { obj: this.create(def, cluster, namespace, body, o), created: true }
    }
    if (type === 'strategic' && def.group !== '') throw unsupportedMediaType('application/strategic-merge-patch+json', ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'])
    let next: Json
    try {
      const base = clone(cur.obj) as unknown as Json
      next = type === 'json' ? jsonPatch(base, patch) : type === 'strategic' ? strategicMergePatch(base, patch) : mergePatch(base, patch)
    } catch (e) {
      if (e instanceof PatchError) throw new StatusError(statusBody(e.code, e.code === 400 ? 'BadRequest' : 'Invalid', e.message))
      throw e
    }
    if (typeof next !== 'object' || next === null || Array.isArray(next)) throw badRequest('the patch did not produce an object')
    const obj = next as unknown as KubeObject
    obj.metadata = { ...(obj.metadata ?? {}), name }
    const rv = obj.metadata.resourceVersion
    // A resourceVersion inside the patch is a precondition, as in the apiserver.
    if (type !== 'apply' && rv !== undefined && rv !== String(cur.rv)) throw conflict(def.group, def.resource, name)
    return { obj: this.replace(def, cur, this.normalise(def, obj, namespace), { ...o }, type === 'apply'), created: false }
  }

  private replace(def: ResourceDef, cur: StoredObject, obj: KubeObject, o: WriteOptions, apply = false): StoredObject {
    const prev = cur.obj
    // Identity and server-owned fields are kept from the stored object.
    obj.metadata.uid = prev.metadata.uid
    obj.metadata.creationTimestamp = prev.metadata.creationTimestamp
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [CLUSTER_ANNOTATION]: cur.cluster }
    this.hooks.admit?.(def, cur.cluster, obj)
    if (prev.metadata.deletionTimestamp !== undefined) obj.metadata.deletionTimestamp = prev.metadata.deletionTimestamp
    else delete obj.metadata.deletionTimestamp
    if (def.status) {
      if (o.subresource === 'status') {
        const status = obj.status
        Object.assign(obj, clone(prev), { status })
        obj.metadata = clone(prev.metadata)
      } else obj.status = clone(prev.status)
    }
    obj.metadata.managedFields = mergeManagers(prev.metadata.managedFields, managedField(def, o.fieldManager, apply ? 'Apply' : 'Update', o.subresource))
    applyDefaults(def, obj)
    // A no-op write keeps the RV and emits nothing (apiserver behaviour clients rely on).
    if (stripVolatile(obj) === stripVolatile(prev)) return cur
    if (o.dryRun) return dryRunResult(def, cur.cluster, obj)
    if (obj.metadata.deletionTimestamp !== undefined && (obj.metadata.finalizers ?? []).length === 0) {
      const gone = this.store.delete(cur)
      this.hooks.afterWrite('delete', def, gone, cur)
      return gone
    }
    const stored = this.store.update(cur, obj)
    this.hooks.afterWrite('update', def, stored, cur)
    return stored
  }

  /**
   * DELETE semantics. Returns the object as it leaves (or stays, held by finalizers) and whether it is
   * gone. Namespaces take their content with them.
   */
  delete(def: ResourceDef, cluster: string, namespace: string, name: string, opts: DeleteOptions = {}): { obj: StoredObject; gone: boolean } {
    const cur = this.get(def, cluster, namespace, name)
    const pre = opts.preconditions
    if (pre?.uid !== undefined && pre.uid !== cur.obj.metadata.uid) throw conflict(def.group, def.resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.obj.metadata.uid ?? ''}`)
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== String(cur.rv)) throw conflict(def.group, def.resource, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.rv}`)
    if (opts.dryRun) return { obj: cur, gone: false }
    if ((cur.obj.metadata.finalizers ?? []).length > 0 && def.resource !== 'namespaces') {
      if (cur.obj.metadata.deletionTimestamp !== undefined) return { obj: cur, gone: false }
      const obj = clone(cur.obj)
      obj.metadata.deletionTimestamp = now()
      const stored = this.store.update(cur, obj)
      this.hooks.afterWrite('update', def, stored, cur)
      return { obj: stored, gone: false }
    }
    if (def.resource === 'namespaces') {
      for (const o of this.store.clusterObjects(cluster)) if (o.namespace === name) this.deleteStored(o)
    }
    return { obj: this.deleteStored(cur), gone: true }
  }

  /** Removes a stored object unconditionally (cascades, internal cleanup). */
  deleteStored(cur: StoredObject): StoredObject {
    const gone = this.store.delete(cur)
    const def = defOf(cur)
    if (def) this.hooks.afterWrite('delete', def, gone, cur)
    return gone
  }

  private normalise(def: ResourceDef, input: KubeObject, namespace: string): KubeObject {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('the body of the request must be a JSON object')
    const obj = clone(input)
    const gv = groupVersion(def)
    if (obj.apiVersion !== undefined && obj.apiVersion !== gv) throw badRequest(`the API version in the data (${JSON.stringify(obj.apiVersion)}) does not match the expected API version (${gv})`)
    if (obj.kind !== undefined && obj.kind !== def.kind) throw badRequest(`the kind in the data (${JSON.stringify(obj.kind)}) does not match the expected kind (${def.kind})`)
    const meta = (typeof obj.metadata === 'object' && obj.metadata !== null ? obj.metadata : {}) as KubeObject['metadata']
    meta.name = typeof meta.name === 'string' ? meta.name : ''
    if (def.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
      meta.namespace = namespace
    } else delete meta.namespace
    const { kind: _k, apiVersion: _a, metadata: _m, ...rest } = obj
    return { kind: def.kind, apiVersion: gv, metadata: meta, ...rest }
  }
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string }
  propagationPolicy?: string
  dryRun?: boolean
}

function defOf(o: StoredObject): ResourceDef | undefined {
  return resourceByKey(o.res)
}

function managedField(def: ResourceDef, manager: string | undefined, operation: 'Update' | 'Apply', subresource?: string): Record<string, unknown> {
  const e: Record<string, unknown> = { manager: manager ?? 'unknown', operation, apiVersion: groupVersion(def), time: now(), fieldsType: 'FieldsV1', fieldsV1: {} }
  if (subresource !== undefined) e.subresource = subresource
  return e
}

function mergeManagers(prev: unknown, entry: Record<string, unknown>): Record<string, unknown>[] {
  const list = Array.isArray(prev) ? (prev as Record<string, unknown>[]) : []
  const same = (e: Record<string, unknown>): boolean => e.manager === entry.manager && e.operation === entry.operation && e.subresource === entry.subresource
  return [...list.filter((e) => !same(e)), entry]
}

function dryRunResult(def: ResourceDef, cluster: string, obj: KubeObject): StoredObject {
  // Not persisted: a detached record only used to answer the request.
  return new StoredObject(resourceKey(def), cluster, obj.metadata.namespace ?? '', obj.metadata.name, 0, obj)
}
