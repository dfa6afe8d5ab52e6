// Object validation and defaulting the apiserver does on write, reduced to what the emulated kinds need.
import { randomBytes } from 'node:crypto'
import type { ResourceDef } from './resources.js'
import { invalid, type Cause } from './status.js'
import type { KubeObject } from './store.js'

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

/** Kinds whose names are DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(['namespaces', 'workspaces'])

export function nameProblem(def: ResourceDef, name: string): Cause | undefined {
  const label = LABEL_NAMED.has(def.resource)
  const ok = label ? LABEL.test(name) && name.length <= 63 : SUBDOMAIN.test(name) && name.length <= 253
  if (ok) return undefined
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: ${label ? LABEL_MSG : SUBDOMAIN_MSG}`, field: 'metadata.name' }
}

export function validateName(def: ResourceDef, obj: KubeObject): void {
  const name = obj.metadata.name
  if (name === '') throw invalid(def.kind, def.group, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }])
  const p = nameProblem(def, name)
  if (p) throw invalid(def.kind, def.group, name, [p])
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** The apiserver's 5-character generateName suffix. */
export function generateSuffix(): string {
  return [...randomBytes(5)].map((b) => GENERATE_ALPHABET[b % GENERATE_ALPHABET.length]).join('')
}

let lastSecond = -1
let lastStamp = ''

/** RFC 3339 at second precision, as the apiserver stamps; formatted once per second (bulk writes call it a lot). */
export function now(): string {
  const ms = Date.now()
  const second = Math.floor(ms / 1000)
  if (second !== lastSecond) {
    lastSecond = second
    lastStamp = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }
  return lastStamp
}

/** Kind-specific defaults applied on create (and, where the apiserver does, on update). */
export function applyDefaults(def: ResourceDef, obj: KubeObject): void {
  if (def.resource === 'namespaces') {
    const spec = (obj.spec ?? {}) as Record<string, unknown>
    spec.finalizers ??= ['kubernetes']
    obj.spec = spec
    const status = (obj.status ?? {}) as Record<string, unknown>
    status.phase ??= 'Active'
    obj.status = status
  } else if (def.resource === 'secrets') {
    obj.type ??= 'Opaque'
    // stringData is write-only: merged into data, never stored.
    const sd = obj.stringData as Record<string, string> | undefined
    if (sd && typeof sd === 'object') {
      const data = { ...((obj.data ?? {}) as Record<string, string>) }
      for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v)).toString('base64')
      obj.data = data
    }
    delete obj.stringData
  }
}
