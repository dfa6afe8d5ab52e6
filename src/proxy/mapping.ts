// The upstream mapping file (docs/upstream.md#mapping-format): a YAML list of path → backend entries, each with
// the TLS material used towards that backend and the identity header names it trusts.
// Parsing reports every problem at once, naming file, entry, line and field, because a
// front-proxy that refuses to start over the first of five typos wastes five restarts.
import { readFile } from 'node:fs/promises'
import { parseDocument, isSeq, isMap, LineCounter, type Node as YamlNode, type YAMLMap } from 'yaml'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { resolve, dirname, isAbsolute } from 'node:path'
import type { IdentityHeaderNames } from '../auth/types.js'
import { defaultIdentityHeaderNames } from '../auth/types.js'
import { tlsFingerprint, type BackendTLS } from './backend-tls.js'

/** One entry as written in the file (upstream Go field names). */
export interface PathMappingEntry {
  path: string
  backend: string
  backend_server_ca: string
  proxy_client_cert: string
  proxy_client_key: string
  user_header?: string
  group_header?: string
  extra_header_prefix?: string
  /** Ours (upstream ignores unknown fields): this backend's bound on each flow's waiting requests. */
  fair_queuing_queue_length?: number
}

/**
 * `shard`: the `/clusters/` mapping (target comes from the index).
 * `default`: the `/` mapping (fallback for every unmatched path).
 * `prefix`: everything else, forwarded unchanged to its backend.
 */
export type MappingKind = 'shard' | 'default' | 'prefix'

/** A validated, loaded mapping. Immutable once built. */
export interface Mapping {
  readonly index: number
  /** As written, e.g. `/e2e/clusters/{cluster}/`. */
  readonly path: string
  readonly kind: MappingKind
  /** Path segments of the trimmed pattern; `{x}` segments are placeholders. */
  readonly segments: readonly string[]
  /** Position of the `{cluster}` placeholder in `segments`, or -1. */
  readonly clusterSegment: number
  /** Whether every segment is literal: lets the router use one startsWith. */
  readonly literal: boolean
  /** The trimmed pattern (`/services`), meaningful when `literal`. */
  readonly prefix: string
  readonly backend: URL
  /** `scheme://host:port` of backend. */
  readonly origin: string
  /** backend.pathname without trailing slash ('' for `/`). */
  readonly basePath: string
  readonly tls: BackendTLS
  /** Identifies the TLS identity: mappings sharing it share connection pools. */
  readonly fingerprint: string
  readonly headers: IdentityHeaderNames
  /** `fair_queuing_queue_length` (ours): waiters per flow at this backend's shard gate; undefined = --fair-queuing-queue-length. */
  readonly flowQueueLength?: number | undefined
}

export interface MappingError {
  file: string
  /** 0-based entry index, or -1 for file-level problems. */
  entry: number
  line: number
  field: string
  message: string
}

export class MappingFileError extends Error {
  readonly errors: MappingError[]
  constructor(errors: MappingError[]) {
    super(`invalid mapping file:\n${errors.map(formatMappingError).join('\n')}`)
    this.name = 'MappingFileError'
    this.errors = errors
  }
}

export function formatMappingError(e: MappingError): string {
  const where = e.entry >= 0 ? `entry ${e.entry}` : 'file'
  return `${e.file}:${e.line}: ${where}${e.field ? ` field "${e.field}"` : ''}: ${e.message}`
}

const REQUIRED = ['path', 'backend', 'backend_server_ca', 'proxy_client_cert', 'proxy_client_key'] as const
const OPTIONAL = ['user_header', 'group_header', 'extra_header_prefix'] as const
/** Our integer fields; a mapping file using them stays valid upstream, which ignores fields it does not know. */
const INTEGERS = ['fair_queuing_queue_length'] as const
// RFC 7230 token: what Node accepts as a header name.
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/

/** Splits a mapping path into its pattern segments (`/a/{cluster}/` → ['a','{cluster}']). */
export function patternSegments(path: string): string[] {
  const p = path.replace(/\/+$/, '')
  return p === '' ? [] : p.slice(1).split('/')
}

interface RawEntry {
  values: Partial<Record<(typeof REQUIRED)[number] | (typeof OPTIONAL)[number], string>>
  integers: Partial<Record<(typeof INTEGERS)[number], number>>
  lines: Record<string, number>
  line: number
}

function lineOf(node: YamlNode | null | undefined, lc: LineCounter): number {
  const r = node?.range
  return r ? lc.linePos(r[0]).line : 1
}

/** Parses YAML text into raw entries, collecting structural errors. Pure. */
export function parseMappingYaml(text: string, file: string): { entries: RawEntry[]; errors: MappingError[] } {
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false })
  const errors: MappingError[] = []
  for (const e of doc.errors) {
    errors.push({ file, entry: -1, line: e.linePos?.[0]?.line ?? 1, field: '', message: `YAML: ${e.message.split('\n')[0]}` })
  }
  if (errors.length > 0) return { entries: [], errors }
  const root = doc.contents
  if (root === null) return { entries: [], errors: [{ file, entry: -1, line: 1, field: '', message: 'the file is empty; expected a list of mappings' }] }
  if (!isSeq(root)) return { entries: [], errors: [{ file, entry: -1, line: lineOf(root, lc), field: '', message: 'expected a YAML list of mappings' }] }
  const entries: RawEntry[] = []
  root.items.forEach((item, i) => {
    const line = lineOf(item, lc)
    if (!isMap(item)) {
      errors.push({ file, entry: i, line, field: '', message: 'expected a mapping object with path, backend, …' })
      return
    }
    const raw: RawEntry = { values: {}, integers: {}, lines: {}, line }
    for (const pair of (item as YAMLMap).items) {
      const key = (pair.key as { value?: unknown } | null)?.value
      if (typeof key !== 'string') continue
      const integer = (INTEGERS as readonly string[]).includes(key)
      // Unknown keys are ignored, as sigs.k8s.io/yaml does upstream.
      if (!integer && !(REQUIRED as readonly string[]).includes(key) && !(OPTIONAL as readonly string[]).includes(key)) continue
      const vnode = pair.value as YamlNode | null
      const v = (vnode as { value?: unknown } | null)?.value
      raw.lines[key] = lineOf(vnode ?? (pair.key as YamlNode), lc)
      if (v === null || v === undefined) continue
      if (integer) {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) errors.push({ file, entry: i, line: raw.lines[key], field: key, message: `must be an integer of at least 1, got ${JSON.stringify(v)}` })
        else raw.integers[key as keyof RawEntry['integers']] = v
        continue
      }
      if (typeof v !== 'string') {
        errors.push({ file, entry: i, line: raw.lines[key], field: key, message: `must be a string, got ${typeof v}` })
        continue
      }
      raw.values[key as keyof RawEntry['values']] = v
    }
    entries.push(raw)
  })
  return { entries, errors }
}

/** Validates the shape of one entry (no I/O). Returns the errors it found. */
export function validateEntry(raw: RawEntry, i: number, file: string): MappingError[] {
  const errs: MappingError[] = []
  const at = (field: string): number => raw.lines[field] ?? raw.line
  for (const f of REQUIRED) {
    if (raw.values[f] === undefined || raw.values[f] === '') errs.push({ file, entry: i, line: at(f), field: f, message: 'is required' })
  }
  const path = raw.values.path
  if (path !== undefined && path !== '') {
    if (!path.startsWith('/')) errs.push({ file, entry: i, line: at('path'), field: 'path', message: `must start with "/": ${JSON.stringify(path)}` })
    else {
      const segs = patternSegments(path)
      let clusters = 0
      segs.forEach((s) => {
        if (s === '') errs.push({ file, entry: i, line: at('path'), field: 'path', message: `empty segment in ${JSON.stringify(path)}` })
        else if (s.includes('{') || s.includes('}')) {
          const m = PLACEHOLDER.exec(s)
          if (!m) errs.push({ file, entry: i, line: at('path'), field: 'path', message: `malformed placeholder ${JSON.stringify(s)}` })
          else if (m[1] === 'cluster') clusters++
        }
      })
      if (clusters > 1) errs.push({ file, entry: i, line: at('path'), field: 'path', message: 'more than one {cluster} placeholder' })
    }
  }
  const backend = raw.values.backend
  if (backend !== undefined && backend !== '') {
    let u: URL | undefined
    try {
      u = new URL(backend)
    } catch {
      errs.push({ file, entry: i, line: at('backend'), field: 'backend', message: `not a URL: ${JSON.stringify(backend)}` })
    }
    if (u && u.protocol !== 'https:') errs.push({ file, entry: i, line: at('backend'), field: 'backend', message: `must be an https URL, got ${u.protocol}` })
  }
  for (const f of OPTIONAL) {
    const v = raw.values[f]
    if (v !== undefined && v !== '' && !HEADER_TOKEN.test(v)) errs.push({ file, entry: i, line: at(f), field: f, message: `not a valid header name: ${JSON.stringify(v)}` })
  }
  return errs
}

function kindOf(path: string): MappingKind {
  const p = path.replace(/\/+$/, '')
  if (p === '') return 'default'
  // Upstream keys the shard proxy on the exact string "/clusters/"; "/clusters" registers the same patterns.
  if (p === '/clusters') return 'shard'
  return 'prefix'
}

async function readPem(file: string, raw: RawEntry, i: number, field: string, mappingFile: string, errs: MappingError[]): Promise<string> {
  const line = raw.lines[field] ?? raw.line
  const abs = isAbsolute(file) ? file : resolve(dirname(mappingFile), file)
  try {
    return await readFile(abs, 'utf8')
  } catch (e) {
    errs.push({ file: mappingFile, entry: i, line, field, message: `cannot read ${abs}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` })
    return ''
  }
}

/** Reads, parses, validates and loads a mapping file; throws MappingFileError listing every problem. */
export async function loadMappingFile(file: string): Promise<Mapping[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new MappingFileError([{ file, entry: -1, line: 0, field: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }])
  }
  return buildMappings(text, file)
}

/** Like loadMappingFile for text already in memory; relative file names resolve against dirname(file). */
export async function buildMappings(text: string, file: string): Promise<Mapping[]> {
  const { entries, errors } = parseMappingYaml(text, file)
  const out: Mapping[] = []
  const seen = new Map<string, number>()
  for (let i = 0; i < entries.length; i++) {
    const raw = entries[i]
    const errs = validateEntry(raw, i, file)
    const v = raw.values
    const ca = v.backend_server_ca ? await readPem(v.backend_server_ca, raw, i, 'backend_server_ca', file, errs) : ''
    const cert = v.proxy_client_cert ? await readPem(v.proxy_client_cert, raw, i, 'proxy_client_cert', file, errs) : ''
    const key = v.proxy_client_key ? await readPem(v.proxy_client_key, raw, i, 'proxy_client_key', file, errs) : ''
    if (ca !== '' && !ca.includes('-----BEGIN CERTIFICATE-----')) {
      errs.push({ file, entry: i, line: raw.lines.backend_server_ca ?? raw.line, field: 'backend_server_ca', message: 'contains no PEM certificate' })
    }
    if (cert !== '') {
      try {
        new X509Certificate(cert)
      } catch {
        errs.push({ file, entry: i, line: raw.lines.proxy_client_cert ?? raw.line, field: 'proxy_client_cert', message: 'is not a PEM certificate' })
      }
    }
    if (key !== '') {
      try {
        createPrivateKey(key)
      } catch {
        errs.push({ file, entry: i, line: raw.lines.proxy_client_key ?? raw.line, field: 'proxy_client_key', message: 'is not a PEM private key' })
      }
    }
    if (v.path !== undefined) {
      const norm = v.path.replace(/\/+$/, '')
      const prev = seen.get(norm)
      if (prev !== undefined) errs.push({ file, entry: i, line: raw.lines.path ?? raw.line, field: 'path', message: `duplicates the path of entry ${prev}` })
      else seen.set(norm, i)
    }
    errors.push(...errs)
    if (errs.length > 0) continue
    const path = v.path!
    const backend = new URL(v.backend!)
    const segments = patternSegments(path)
    out.push({
      index: i,
      path,
      kind: kindOf(path),
      segments,
      clusterSegment: segments.indexOf('{cluster}'),
      literal: segments.every((s) => !s.startsWith('{')),
      prefix: path.replace(/\/+$/, ''),
      backend,
      origin: backend.origin,
      basePath: backend.pathname.replace(/\/+$/, ''),
      tls: { ca, cert, key },
      fingerprint: tlsFingerprint({ ca, cert, key }),
      headers: {
        user: v.user_header || defaultIdentityHeaderNames.user,
        group: v.group_header || defaultIdentityHeaderNames.group,
        extraPrefix: v.extra_header_prefix || defaultIdentityHeaderNames.extraPrefix,
      },
      flowQueueLength: raw.integers.fair_queuing_queue_length,
    })
  }
  if (errors.length > 0) throw new MappingFileError(errors)
  return out
}
