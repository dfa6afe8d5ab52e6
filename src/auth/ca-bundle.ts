// A PEM CA bundle on disk that reloads when it changes (certificate rotation without a
// restart). The directory is watched, not the file: Kubernetes secret/configmap volumes
// and most rotation tools replace files by rename, which a file watch would miss. A
// periodic content-hash check backs up fs.watch (unreliable on some filesystems).
import { createHash, X509Certificate } from 'node:crypto'
import type { FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import { watchFilesIn } from '../files/watch-filter.js'

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
  /** Backup poll interval (default 60 s). */
  pollMs?: number
}

export class CABundle {
  readonly file: string
  #certs: X509Certificate[]
  #pems: string[]
  #hash: string
  #generation = 0
  readonly #listeners: (() => void)[] = []
  readonly #watcher: FSWatcher | undefined
  readonly #timer: NodeJS.Timeout
  readonly #logger: Logger
  #checking: Promise<void> | undefined
  #closed = false

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
    const parsed = parsePEMBundle(text, file)
    this.#certs = parsed.certs
    this.#pems = parsed.pems
    this.#hash = sha256(text)
    try {
      this.#watcher = watchFilesIn(dirname(file), [file], () => void this.check())
      this.#watcher.on('error', () => undefined)
    } catch {
      this.#watcher = undefined // polling still covers it
    }
    this.#timer = setInterval(() => this.check(), opts.pollMs ?? 60_000)
    this.#timer.unref()
  }

  get certs(): readonly X509Certificate[] {
    return this.#certs
  }

  get pems(): readonly string[] {
    return this.#pems
  }

  /** Increases on every reload (cache keys include it). */
  get generation(): number {
    return this.#generation
  }

  onChange(cb: () => void): void {
    this.#listeners.push(cb)
  }

  /** Re-reads the file; a changed, valid bundle replaces the current one. Bad content keeps the old one. */
  check(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    // Coalesce bursts of watch events into one read.
    this.#checking ??= this.#reload().finally(() => (this.#checking = undefined))
    return this.#checking
  }

  async #reload(): Promise<void> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch {
      return // mid-rotation (file briefly absent): keep the current bundle
    }
    const hash = sha256(text)
    if (hash === this.#hash || this.#closed) return
    try {
      const parsed = parsePEMBundle(text, this.file)
      this.#certs = parsed.certs
      this.#pems = parsed.pems
      this.#hash = hash
      this.#generation++
      this.#logger.info({ file: this.file, certificates: parsed.certs.length }, 'reloaded CA bundle')
    } catch (err) {
      this.#logger.error({ file: this.file, err: (err as Error).message }, 'ignoring invalid CA bundle, keeping the previous one')
      return
    }
    for (const cb of this.#listeners) {
      try {
        cb()
      } catch (err) {
        this.#logger.error({ err: (err as Error).message }, 'CA bundle change listener failed')
      }
    }
  }

  close(): void {
    this.#closed = true
    this.#watcher?.close()
    clearInterval(this.#timer)
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}
