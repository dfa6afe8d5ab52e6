// Patch application for PATCH requests: RFC 7386 merge patch, RFC 6902 JSON patch, and strategic merge
// approximated as a merge patch with the `$patch`/`$setElementOrder`/`$retainKeys` directives honoured or
// dropped (the emulated kinds have only maps and scalars, so list merge keys never come into play).

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type JsonObject = { [k: string]: Json }

export class PatchError extends Error {
  constructor(message: string, readonly code: 400 | 422 = 422) {
    super(message)
    this.name = 'PatchError'
  }
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch
  const out: JsonObject = isObject(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k] ?? null, v)
  }
  return out
}

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch
    return stripDirectives(rest)
  }
  if (patch.$patch === 'delete') return null
  const out: JsonObject = isObject(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k.startsWith('$deleteFromPrimitiveList/') || k === '$patch') continue
    if (v === null) delete out[k]
    else {
      const merged = strategicMergePatch(out[k] ?? null, v)
      if (merged === null) delete out[k]
      else out[k] = merged
    }
  }
  return out
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives)
  if (!isObject(v)) return v
  const out: JsonObject = {}
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x)
  return out
}

function unescapePointer(tok: string): string {
  return tok.replace(/~1/g, '/').replace(/~0/g, '~')
}

function parsePointer(p: unknown): string[] {
  if (typeof p !== 'string') throw new PatchError('json patch: path must be a string', 400)
  if (p === '') return []
  if (!p.startsWith('/')) throw new PatchError(`json patch: invalid path ${JSON.stringify(p)}`, 400)
  return p.slice(1).split('/').map(unescapePointer)
}

function clone<T extends Json>(v: T): T {
  return structuredClone(v)
}

function parentOf(doc: Json, path: string[], op: string): [Json[] | JsonObject, string] {
  let cur: Json = doc
  for (const tok of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(tok)] ?? null
    else if (isObject(cur)) cur = cur[tok] ?? null
    else cur = null
    if (cur === null) throw new PatchError(`json patch ${op} operation does not apply: doc is missing path: /${path.join('/')}`)
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`json patch ${op} operation does not apply: doc is missing path: /${path.join('/')}`)
  return [cur, path[path.length - 1]]
}

function getAt(doc: Json, path: string[], op: string): Json {
  if (path.length === 0) return doc
  const [parent, key] = parentOf(doc, path, op)
  const v = Array.isArray(parent) ? parent[Number(key)] : parent[key]
  if (v === undefined) throw new PatchError(`json patch ${op} operation does not apply: doc is missing key: /${path.join('/')}`)
  return v
}

function removeAt(doc: Json, path: string[], op: string): Json {
  const [parent, key] = parentOf(doc, path, op)
  if (Array.isArray(parent)) {
    const i = Number(key)
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw new PatchError(`json patch ${op} operation does not apply: index out of range`)
    return parent.splice(i, 1)[0]
  }
  if (!(key in parent)) throw new PatchError(`json patch ${op} operation does not apply: doc is missing key: /${path.join('/')}`)
  const v = parent[key]
  delete parent[key]
  return v
}

function addAt(doc: Json, path: string[], value: Json, replace: boolean, op: string): Json {
  if (path.length === 0) return value
  const [parent, key] = parentOf(doc, path, op)
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key)
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length)) throw new PatchError(`json patch ${op} operation does not apply: index out of range`)
    if (replace) parent[i] = value
    else parent.splice(i, 0, value)
  } else {
    if (replace && !(key in parent)) throw new PatchError(`json patch replace operation does not apply: doc is missing key: /${path.join('/')}`)
    parent[key] = value
  }
  return doc
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('json patch: the patch must be an array of operations', 400)
  let doc = clone(target)
  for (const raw of ops) {
    if (!isObject(raw)) throw new PatchError('json patch: every operation must be an object', 400)
    const op = raw.op
    const path = parsePointer(raw.path)
    switch (op) {
      case 'add': doc = addAt(doc, path, clone(raw.value ?? null), false, op); break
      case 'replace': doc = addAt(doc, path, clone(raw.value ?? null), true, op); break
      case 'remove': removeAt(doc, path, op); break
      case 'move': { const v = removeAt(doc, parsePointer(raw.from), op); doc = addAt(doc, path, v, false, op); break }
      case 'copy': doc = addAt(doc, path, clone(getAt(doc, parsePointer(raw.from), op)), false, op); break
      case 'test':
        if (JSON.stringify(getAt(doc, path, op)) !== JSON.stringify(raw.value ?? null)) throw new PatchError(`json patch test operation failed at ${JSON.stringify(raw.path)}`)
        break
      default: throw new PatchError(`json patch: unknown operation ${JSON.stringify(op)}`, 400)
    }
  }
  return doc
}
