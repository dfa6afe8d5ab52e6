// LIST semantics (docs/upstream.md#kube-api): resourceVersion / resourceVersionMatch rules, limit + continue over a
// consistent snapshot, label and field selectors, the List envelope.
import { ExpiredError, type Store, type StoredObject } from './store.js'
import { badRequest, expiredContinue, expiredList, invalidListOptions, tooLargeResourceVersion } from './status.js'
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from './selectors.js'

export interface ListQuery {
  res: string
  cluster: string
  namespace?: string
  resourceVersion?: string
  resourceVersionMatch?: string
  limit?: number
  continueToken?: string
  labels: LabelRequirement[]
  fields: FieldRequirement[]
}

export interface ListResult {
  items: StoredObject[]
  rv: number
  continueToken?: string
  remainingItemCount?: number
}

interface ContinueToken {
  v: string
  rv: number
  start: string
}

export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64url')
}

export function decodeContinue(tok: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(tok, 'base64url').toString('utf8')) as ContinueToken
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad token')
    return t
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data or malformed token')
  }
}

/** Parses a resourceVersion parameter ('' / undefined = unset). */
export function parseRV(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`)
  return Number(rv)
}

/** Which snapshot RV a list reads, per the resourceVersion table of the Kubernetes API concepts (docs/upstream.md#kube-api). */
export function listSnapshotRV(q: Pick<ListQuery, 'resourceVersion' | 'resourceVersionMatch' | 'limit' | 'continueToken'>, current: number): { rv: number; start?: string; ignoreLimit: boolean } {
  const match = q.resourceVersionMatch ?? ''
  const rvSet = q.resourceVersion !== undefined && q.resourceVersion !== ''
  if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan') throw invalidListOptions('resourceVersionMatch', `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`)
  if (match !== '' && !rvSet) throw invalidListOptions('resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided')
  if (q.continueToken !== undefined && q.continueToken !== '') {
    if (rvSet && q.resourceVersion !== '0') throw badRequest('specifying resource version is not allowed when using continue')
    const t = decodeContinue(q.continueToken)
    return { rv: t.rv, start: t.start, ignoreLimit: false }
  }
  const n = parseRV(q.resourceVersion)
  if (n === undefined) return { rv: current, ignoreLimit: false }
  if (match === 'Exact' && n === 0) throw invalidListOptions('resourceVersionMatch', 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
  // RV=0 means "any": served from the (emulated) watch cache, which ignores limit.
  if (n === 0) return { rv: current, ignoreLimit: match === '' }
  if (n > current) throw tooLargeResourceVersion(n, current)
  const exact = match === 'Exact' || (match === '' && q.limit !== undefined && q.limit > 0)
  return { rv: exact ? n : current, ignoreLimit: false }
}

export function list(store: Store, q: ListQuery): ListResult {
  const snap = listSnapshotRV(q, store.rv)
  let items: StoredObject[]
  try {
    items = store.snapshot(q.res, q.cluster, q.namespace, snap.rv)
  } catch (e) {
    if (e instanceof ExpiredError) throw snap.start !== undefined ? expiredContinue() : expiredList()
    throw e
  }
  let i = 0
  if (snap.start !== undefined) i = lowerBound(items, snap.start)
  const limit = snap.ignoreLimit || q.limit === undefined || q.limit <= 0 ? Infinity : q.limit
  const filtered = q.labels.length > 0 || q.fields.length > 0
  const out: StoredObject[] = []
  for (; i < items.length && out.length < limit; i++) {
    const o = items[i]
    if (filtered && !(matchesLabels(q.labels, o.labels) && matchesFields(q.fields, o.name, o.namespace))) continue
    out.push(o)
  }
  const result: ListResult = { items: out, rv: snap.rv }
  // Only a page that stopped early has a continuation (k8s may return an empty last page; we do not).
  if (out.length >= limit && i < items.length && hasMore(items, i, q)) {
    result.continueToken = encodeContinue(snap.rv, out[out.length - 1].key)
    if (!filtered) result.remainingItemCount = items.length - i
  }
  return result
}

function hasMore(items: StoredObject[], from: number, q: ListQuery): boolean {
  if (q.labels.length === 0 && q.fields.length === 0) return from < items.length
  for (let i = from; i < items.length; i++) if (matchesLabels(q.labels, items[i].labels) && matchesFields(q.fields, items[i].name, items[i].namespace)) return true
  return false
}

function lowerBound(items: StoredObject[], key: string): number {
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (items[mid].key < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** What goes before and after the items of the List JSON. */
export function listEnvelope(kind: string, apiVersion: string, r: Omit<ListResult, 'items'>): { head: string; tail: string } {
  let meta = `{"resourceVersion":"${r.rv}"`
  if (r.continueToken !== undefined) meta += `,"continue":${JSON.stringify(r.continueToken)}`
  if (r.remainingItemCount !== undefined) meta += `,"remainingItemCount":${r.remainingItemCount}`
  meta += '}'
  return { head: `{"kind":"${kind}List","apiVersion":"${apiVersion}","metadata":${meta},"items":[`, tail: ']}' }
}

/** The List JSON, built from the cached item strings (no re-serialisation of objects). */
export function listJSON(kind: string, apiVersion: string, r: ListResult): string {
  const { head, tail } = listEnvelope(kind, apiVersion, r)
  return `${head}${r.items.map((o) => o.json).join(',')}${tail}`
}
