// A PEM CA bundle on disk that reloads when it changes (certificate rotation without a
// restart), through the shared reloadable-file primitive (src/files/reloadable.ts): the
// directory is watched, not the file, and a periodic check backs up fs.watch.
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { ReloadableFile, type ReloadProblem, type WatchFn } from '../files/reloadable.js'

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** Parses every certificate of a PEM bundle; throws naming the file and the block. */
export function parsePEMBundle(text: string, file: string): { certs: X509Certificate[]; pems: string[] } {
  const pems = text.match(PEM_CERT) ?? []
  if (pems.length === 0) throw new Error(`${file}: no PEM certificate found`)
  const certs = pems.map((pem, i) => {
    try {
      return new X509Certificate(pem)
    } catch (err) {
      throw new Error(`${file}: certificate #${i + 1} is invalid: ${(err as Error).message}`)
    }
  })
  return { certs, pems }
}

export interface CABundleOptions {
  logger: Logger
  /** Backup poll interval (default 60 s, bounds in src/files/reloadable.ts). */
  pollMs?: number
  /** Directory watcher; default fs.watch (tests inject one that fails). */
  watch?: WatchFn
}

interface Parsed {
  certs: X509Certificate[]
  pems: string[]
}

export class CABundle {
  readonly file: string
  #generation = 0
  readonly #listeners: (() => void)[] = []
  readonly #source: ReloadableFile<Parsed>
  readonly #logger: Logger

  /** Loads synchronously so a bad file is a startup error naming the file. */
  constructor(file: string, opts: CABundleOptions) {
    this.file = file
    this.#logger = opts.logger
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new Error(`${file}: cannot read CA bundle: ${(err as Error).message}`)
    }
    this.#source = new ReloadableFile<Parsed>({
      files: [file],
      initial: { value: parsePEMBundle(text, file), contents: [text] },
      parse: ([t]) => parsePEMBundle(t, file),
      onChange: (parsed) => this.#changed(parsed),
      onProblem: (p) => this.#problem(p),
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      ...(opts.watch !== undefined ? { watch: opts.watch } : {}),
    })
  }

  get certs(): readonly X509Certificate[] {
    return this.#source.value.certs
  }

  get pems(): readonly string[] {
    return this.#source.value.pems
  }

  /** Increases on every reload (cache keys include it). */
  get generation(): number {
    return this.#generation
  }

  onChange(cb: () => void): void {
    this.#listeners.push(cb)
  }

  /** Re-reads the file now; a changed, valid bundle replaces the current one. Bad content keeps the old one. */
  check(): Promise<void> {
    return this.#source.check()
  }

  #changed(parsed: Parsed): void {
    this.#generation++
    this.#logger.info({ file: this.file, certificates: parsed.certs.length }, 'reloaded CA bundle')
    for (const cb of this.#listeners) {
      try {
        cb()
      } catch (err) {
        this.#logger.error({ err: (err as Error).message }, 'CA bundle change listener failed')
      }
    }
  }

  #problem(p: ReloadProblem): void {
    const err = p.error instanceof Error ? p.error.message : String(p.error)
    if (p.kind === 'rejected') this.#logger.error({ file: this.file, err }, 'ignoring invalid CA bundle, keeping the previous one')
    else if (p.kind === 'unreadable') this.#logger.warn({ file: this.file, err }, 'CA bundle unreadable, keeping the previous one')
    else this.#logger.warn({ file: this.file, dir: p.dir, err }, 'CA bundle watch failed; polling for changes')
  }

  close(): void {
    this.#source.close()
  }
}
