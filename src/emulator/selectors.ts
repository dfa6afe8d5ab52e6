// Label and field selectors as the apiserver parses them (k8s.io/apimachinery labels/fields), reduced to
// what clients send: `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`; fields `metadata.name|namespace`.

export type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string }

export type Labels = Record<string, string> | undefined

export class SelectorError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SelectorError'
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    else if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out.map((p) => p.trim()).filter((p) => p !== '')
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

function checkKey(k: string): string {
  if (!KEY.test(k)) throw new SelectorError(`unable to parse requirement: invalid label key "${k}"`)
  return k
}
function checkValue(v: string): string {
  if (!VALUE.test(v)) throw new SelectorError(`unable to parse requirement: invalid label value: "${v}"`)
  return v
}

export function parseLabelSelector(s: string | undefined): LabelRequirement[] {
  if (s === undefined || s.trim() === '') return []
  return splitTopLevel(s).map(parseRequirement)
}

function parseRequirement(p: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(p)
  if (set) {
    const values = set[3].split(',').map((v) => checkValue(v.trim()))
    return { op: set[2] as 'in' | 'notin', key: checkKey(set[1]), values }
  }
  if (p.startsWith('!')) return { op: 'notexists', key: checkKey(p.slice(1).trim()) }
  const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(p)
  if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: checkKey(m[1]), value: checkValue(m[3].trim()) }
  if (/^[^=!\s()]+$/.test(p)) return { op: 'exists', key: checkKey(p) }
  throw new SelectorError(`unable to parse requirement: found '${p}', expected: identifier`)
}

export function matchesLabels(reqs: readonly LabelRequirement[], labels: Labels): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key)
    const v = has ? labels[r.key] : undefined
    switch (r.op) {
      case 'eq': if (v !== r.value) return false; break
      case 'neq': if (v === r.value) return false; break
      case 'in': if (v === undefined || !r.values.includes(v)) return false; break
      case 'notin': if (v !== undefined && r.values.includes(v)) return false; break
      case 'exists': if (!has) return false; break
      case 'notexists': if (has) return false; break
    }
  }
  return true
}

export interface FieldRequirement {
  field: 'metadata.name' | 'metadata.namespace'
  op: 'eq' | 'neq'
  value: string
}

export function parseFieldSelector(s: string | undefined): FieldRequirement[] {
  if (s === undefined || s.trim() === '') return []
  return s.split(',').map((p) => p.trim()).filter((p) => p !== '').map((p) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(p)
    if (!m) throw new SelectorError(`invalid selector: '${p}'; can't understand '${p}'`)
    const field = m[1].trim()
    if (field !== 'metadata.name' && field !== 'metadata.namespace') throw new SelectorError(`field label not supported: ${field}`)
    return { field, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3].trim() }
  })
}

export function matchesFields(reqs: readonly FieldRequirement[], name: string, namespace: string): boolean {
  for (const r of reqs) {
    const v = r.field === 'metadata.name' ? name : namespace
    if ((v === r.value) !== (r.op === 'eq')) return false
  }
  return true
}

/** The single name a field selector pins, if any: lets the store answer with one lookup. */
export function pinnedName(reqs: readonly FieldRequirement[]): string | undefined {
  return reqs.find((r) => r.field === 'metadata.name' && r.op === 'eq')?.value
}
