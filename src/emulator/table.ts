// `Table` (meta.k8s.io) responses, which kubectl asks for on get/list/watch with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...`: content negotiation, `includeObject`,
// the apiserver's age strings, and the Table JSON in its field order (kind, apiVersion, metadata,
// columnDefinitions, rows). Column sets are in table-columns.ts.
import { printers, type Printer } from './table-columns.js'
import { badRequest } from './status.js'
import type { KubeObject, StoredObject } from './store.js'

export type TableVersion = 'v1' | 'v1beta1'

/** The Content-Type of a Table answer (what the apiserver echoes from the negotiated media type). */
export const tableContentType = (v: TableVersion): string => `application/json;as=Table;v=${v};g=meta.k8s.io`

/**
 * The Table version the Accept header asks for, or undefined when a plain object comes first (or no
 * Table is asked for). Media ranges are taken in order, as kubectl lists them by preference.
 */
export function negotiateTable(accept: string | undefined): TableVersion | undefined {
  if (accept === undefined) return undefined
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((p) => p.trim())
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue
    const p = new Map(params.map((x): [string, string] => [x.split('=')[0].trim(), (x.split('=')[1] ?? '').trim()]))
    const as = p.get('as')
    const v = p.get('v')
    if (as === undefined) return undefined
    if (as === 'Table' && p.get('g') === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) return v
  }
  return undefined
}

/** The apiserver's duration.HumanDuration: `42s`, `5m3s`, `3h`, `2d4h`, `3y12d`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 192) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`
  const days = Math.floor(hours / 24)
  if (days < 730) return `${days}d`
  const years = Math.floor(days / 365)
  if (years < 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`
  return `${years}y`
}

/** translateTimestampSince: `<unknown>` without a creation timestamp. */
export function age(o: KubeObject, now = Date.now()): string {
  const ts = o.metadata.creationTimestamp
  const t = typeof ts === 'string' ? Date.parse(ts) : NaN
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t)
}

export type IncludeObject = 'None' | 'Metadata' | 'Object'

/** The `includeObject` query parameter (default Metadata); anything else is the apiserver's 400. */
export function includeObjectOf(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject') ?? ''
  if (v === '' || v === 'Metadata') return 'Metadata'
  if (v === 'None' || v === 'Object') return v
  throw badRequest(`unrecognized includeObject value: ${JSON.stringify(v)}`)
}

export interface TableOptions {
  version: TableVersion
  include: IncludeObject
}

export function printerFor(res: string): Printer | undefined {
  return printers[res]
}

function rowObject(o: StoredObject, opts: TableOptions): string {
  if (opts.include === 'None') return 'null'
  if (opts.include === 'Object') return o.json
  return `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/${opts.version}","metadata":${JSON.stringify(o.obj.metadata)}}`
}

export interface TableMeta {
  resourceVersion: string
  continueToken?: string
  remainingItemCount?: number
}

/**
 * The Table JSON for `items`. `headers: false` writes `"columnDefinitions":null`, as the apiserver does
 * for every watch event after the first.
 */
export function tableJSON(printer: Printer, items: readonly StoredObject[], meta: TableMeta, opts: TableOptions, headers = true): string {
  let m = `{"resourceVersion":${JSON.stringify(meta.resourceVersion)}`
  if (meta.continueToken !== undefined) m += `,"continue":${JSON.stringify(meta.continueToken)}`
  if (meta.remainingItemCount !== undefined) m += `,"remainingItemCount":${meta.remainingItemCount}`
  m += '}'
  const now = Date.now()
  const rows = items.map((o) => `{"cells":${JSON.stringify(printer.cells(o.obj, age(o.obj, now)))},"object":${rowObject(o, opts)}}`)
  const columns = headers ? JSON.stringify(printer.columns) : 'null'
  return `{"kind":"Table","apiVersion":"meta.k8s.io/${opts.version}","metadata":${m},"columnDefinitions":${columns},"rows":[${rows.join(',')}]}`
}

/** Encodes watch event objects as one-row Tables: column definitions in the first event only. */
export function tableEventEncoder(printer: Printer, opts: TableOptions): (o: StoredObject) => string {
  let first = true
  return (o) => {
    const s = tableJSON(printer, [o], { resourceVersion: String(o.rv) }, opts, first)
    first = false
    return s
  }
}
