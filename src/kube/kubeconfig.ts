// Kubeconfig loading: the subset of client-go's clientcmd the front-proxy needs to
// talk to kcp shards (server + TLS + client cert or bearer token). Errors name the
// file, the line (when known) and the field, and are all reported at once so an
// operator fixes a broken kubeconfig in one round.
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { LineCounter, parseDocument, type Document } from 'yaml'

/** What a kubeconfig says about trust and identity: everything but the server. */
export interface KubeCredentials {
  /** PEM CA bundle to verify the server with. */
  ca?: string
  insecureSkipTLSVerify: boolean
  /** PEM client certificate and key. */
  cert?: string
  key?: string
  token?: string
  /** The kubeconfig this came from (for messages). */
  file: string
}

export interface KubeClientConfig extends KubeCredentials {
  /** API server URL; a path (e.g. `/clusters/root`) is kept. */
  server: URL
}

export interface KubeconfigOptions {
  /** Use this context instead of `current-context`. */
  context?: string
}

export interface KubeconfigProblem {
  /** e.g. `clusters[0].cluster.server`; '' for whole-document problems. */
  field: string
  line?: number
  message: string
}

export class KubeconfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: KubeconfigProblem[],
  ) {
    super(`invalid kubeconfig ${file}:\n` + problems.map((p) => '  ' + formatProblem(file, p)).join('\n'))
    this.name = 'KubeconfigError'
  }
}

function formatProblem(file: string, p: KubeconfigProblem): string {
  const where = p.line !== undefined ? `${file}:${p.line}: ` : `${file}: `
  return where + (p.field ? `${p.field}: ` : '') + p.message
}

async function readKubeconfig(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new KubeconfigError(file, [{ field: '', message: `cannot read file: ${errText(err)}` }])
  }
}

export async function loadKubeconfig(file: string, opts: KubeconfigOptions = {}): Promise<KubeClientConfig> {
  return parseKubeconfig(await readKubeconfig(file), file, opts)
}

/**
 * The `--shards-kubeconfig`, read as upstream reads it: only the credentials and the CA are used. Upstream
 * overrides the cluster's server (each Shard's spec.baseURL is the server), so kcp's tooling writes
 * `server: ""`; any server value, or none, is accepted and ignored here too.
 */
export async function loadCredentials(file: string, opts: KubeconfigOptions = {}): Promise<KubeCredentials> {
  return parseCredentials(await readKubeconfig(file), file, opts)
}

/** Same credentials, another server: upstream uses the shards kubeconfig with each Shard's spec.baseURL. */
export function withServer(config: KubeCredentials, baseURL: string | URL): KubeClientConfig {
  const { server: _ignored, ...creds } = config as KubeCredentials & { server?: URL }
  return { ...creds, server: new URL(baseURL) }
}

type Path = (string | number)[]

/** Collects problems with their line numbers while reading the document. */
class Reader {
  readonly problems: KubeconfigProblem[] = []
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly file: string,
  ) {}

  lineOf(path: Path): number | undefined {
    // Walk up to the nearest node that exists so "missing field" points at its parent.
    for (let p = path; p.length > 0; p = p.slice(0, -1)) {
      const node = this.doc.getIn(p, true) as { range?: [number, number, number] } | undefined
      if (node && typeof node === 'object' && node.range) return this.lines.linePos(node.range[0]).line
    }
    return undefined
  }

  fail(path: Path, message: string): void {
    this.problems.push({ field: fieldName(path), line: this.lineOf(path), message })
  }

  get(path: Path): unknown {
    return this.doc.getIn(path)
  }

  str(path: Path, required: boolean): string | undefined {
    const v = this.get(path)
    if (v === undefined || v === null || v === '') {
      if (required) this.fail(path, 'is required')
      return undefined
    }
    if (typeof v !== 'string') {
      this.fail(path, `must be a string, got ${typeof v}`)
      return undefined
    }
    return v
  }

  bool(path: Path): boolean {
    const v = this.get(path)
    if (v === undefined || v === null) return false
    if (typeof v !== 'boolean') {
      this.fail(path, `must be a boolean, got ${JSON.stringify(v)}`)
      return false
    }
    return v
  }

  /** Reads a file referenced by the kubeconfig; relative paths resolve against the kubeconfig's directory. */
  file_(path: Path, what: string): string | undefined {
    const name = this.str(path, false)
    if (name === undefined) return undefined
    const full = isAbsolute(name) ? name : resolve(dirname(this.file), name)
    try {
      return readFileSync(full, 'utf8')
    } catch (err) {
      this.fail(path, `cannot read ${what} file ${full}: ${errText(err)}`)
      return undefined
    }
  }

  base64PEM(path: Path, what: string): string | undefined {
    const data = this.str(path, false)
    if (data === undefined) return undefined
    const text = Buffer.from(data.replace(/\s+/g, ''), 'base64').toString('utf8')
    if (!/^[A-Za-z0-9+/=\s]+$/.test(data) || !text.includes('-----BEGIN ')) {
      this.fail(path, `must be base64-encoded PEM (${what})`)
      return undefined
    }
    return text
  }

  /** Exactly one of the file and inline data variants. */
  pem(base: Path, fileKey: string, dataKey: string, what: string): string | undefined {
    const hasFile = this.get([...base, fileKey]) !== undefined
    const hasData = this.get([...base, dataKey]) !== undefined
    if (hasFile && hasData) {
      this.fail([...base, dataKey], `${fileKey} and ${dataKey} are mutually exclusive`)
      return undefined
    }
    return hasData ? this.base64PEM([...base, dataKey], what) : this.file_([...base, fileKey], what)
  }

  /** Index of the named entry in a `clusters`/`users`/`contexts` list. */
  findNamed(list: string, name: string): number | undefined {
    const items = this.get([list])
    if (items === undefined || items === null) return undefined
    if (!Array.isArray(this.toJS(list))) return undefined
    const arr = this.toJS(list) as unknown[]
    const idx = arr.findIndex((e) => isRecord(e) && e.name === name)
    return idx >= 0 ? idx : undefined
  }

  toJS(list: string): unknown {
    const node = this.doc.get(list, true) as { toJSON?: () => unknown } | undefined
    return node && typeof node.toJSON === 'function' ? node.toJSON() : node
  }
}

function fieldName(path: Path): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p
  return out
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function errText(err: unknown): string {
  return err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err)
}

/**
 * Parses kubeconfig text. Referenced files (CA, cert, key, tokenFile) are read synchronously:
 * this runs once at startup and keeping it synchronous keeps callers simple.
 */
export function parseKubeconfig(text: string, file: string, opts: KubeconfigOptions = {}): KubeClientConfig {
  const { server, ...creds } = parse(text, file, opts, true)
  if (server === undefined) throw new KubeconfigError(file, [{ field: '', message: 'no server configured' }])
  return { ...creds, server }
}

/** parseKubeconfig without the server: what `--shards-kubeconfig` contributes (see loadCredentials). */
export function parseCredentials(text: string, file: string, opts: KubeconfigOptions = {}): KubeCredentials {
  const { server: _ignored, ...creds } = parse(text, file, opts, false)
  return creds
}

function parse(text: string, file: string, opts: KubeconfigOptions, needServer: boolean): KubeCredentials & { server?: URL } {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  if (doc.errors.length > 0) {
    throw new KubeconfigError(
      file,
      doc.errors.map((e) => ({ field: '', line: lines.linePos(e.pos[0]).line, message: `invalid YAML: ${e.message.split('\n')[0]}` })),
    )
  }
  const r = new Reader(doc, lines, file)
  const root: unknown = doc.toJS()
  if (!isRecord(root)) throw new KubeconfigError(file, [{ field: '', line: 1, message: 'must be a YAML mapping' }])

  for (const list of ['clusters', 'users', 'contexts']) {
    const v = root[list]
    if (v !== undefined && v !== null && !Array.isArray(v)) r.fail([list], 'must be a list')
    if (Array.isArray(v)) v.forEach((e, i) => { if (!isRecord(e) || typeof e.name !== 'string' || e.name === '') r.fail([list, i, 'name'], 'is required') })
  }

  const ctxName = opts.context ?? r.str(['current-context'], true)
  let server: URL | undefined
  let ca: string | undefined
  let insecure = false
  let cert: string | undefined
  let key: string | undefined
  let token: string | undefined

  const ctxIdx = ctxName === undefined ? undefined : r.findNamed('contexts', ctxName)
  if (ctxName !== undefined && ctxIdx === undefined) {
    r.fail(opts.context !== undefined ? ['contexts'] : ['current-context'], `context "${ctxName}" not found`)
  }
  if (ctxIdx !== undefined) {
    const ctxPath: Path = ['contexts', ctxIdx, 'context']
    const clusterName = r.str([...ctxPath, 'cluster'], true)
    const userName = r.str([...ctxPath, 'user'], false)

    const cIdx = clusterName === undefined ? undefined : r.findNamed('clusters', clusterName)
    if (clusterName !== undefined && cIdx === undefined) r.fail([...ctxPath, 'cluster'], `cluster "${clusterName}" not found`)
    if (cIdx !== undefined) {
      const c: Path = ['clusters', cIdx, 'cluster']
      const s = needServer ? r.str([...c, 'server'], true) : undefined
      if (s !== undefined) {
        try {
          const u = new URL(s)
          if (u.protocol !== 'https:' && u.protocol !== 'http:') r.fail([...c, 'server'], `unsupported scheme "${u.protocol}" (want https or http)`)
          else server = u
        } catch {
          r.fail([...c, 'server'], `not a valid URL: "${s}"`)
        }
      }
      insecure = r.bool([...c, 'insecure-skip-tls-verify'])
      ca = r.pem(c, 'certificate-authority', 'certificate-authority-data', 'CA')
      if (insecure && ca !== undefined) r.fail([...c, 'insecure-skip-tls-verify'], 'cannot be combined with a certificate authority')
    }

    const uIdx = userName === undefined ? undefined : r.findNamed('users', userName)
    if (userName !== undefined && uIdx === undefined) r.fail([...ctxPath, 'user'], `user "${userName}" not found`)
    if (uIdx !== undefined) {
      const u: Path = ['users', uIdx, 'user']
      cert = r.pem(u, 'client-certificate', 'client-certificate-data', 'client certificate')
      key = r.pem(u, 'client-key', 'client-key-data', 'client key')
      if ((cert === undefined) !== (key === undefined) && !r.problems.some((p) => p.field.startsWith(fieldName(u)))) {
        r.fail(u, 'client certificate and client key must be given together')
      }
      token = r.str([...u, 'token'], false)
      const tokenFile = r.file_([...u, 'tokenFile'], 'token')
      if (token === undefined && tokenFile !== undefined) token = tokenFile.trim()
      for (const unsupported of ['exec', 'auth-provider', 'username', 'password']) {
        if (r.get([...u, unsupported]) !== undefined) r.fail([...u, unsupported], 'is not supported by kcp-front-proxy (use a client certificate or token)')
      }
    }
  }

  if (r.problems.length > 0 || (needServer && server === undefined)) {
    if (r.problems.length === 0) r.fail([], 'no server configured')
    throw new KubeconfigError(file, r.problems)
  }
  const out: KubeCredentials & { server?: URL } = { insecureSkipTLSVerify: insecure, file }
  if (server !== undefined) out.server = server
  if (ca !== undefined) out.ca = ca
  if (cert !== undefined) out.cert = cert
  if (key !== undefined) out.key = key
  if (token !== undefined) out.token = token
  return out
}
