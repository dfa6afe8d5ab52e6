// Holds the current route table and reloads it when the mapping file changes. The
// directory is watched, not the file: Kubernetes ConfigMap volumes update by swapping a
// `..data` symlink, which a watch on the old file inode never sees. A reload builds a
// complete new table and swaps one reference: requests already routed keep the mapping
// they started with; a broken new file is logged and the old table stays.
import type { FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import { buildMappings, MappingFileError } from './mapping.js'
import { compileRouteTable, type RouteTable } from './router.js'
import type { BackendPools } from './backends.js'
import { watchFilesIn } from '../files/watch-filter.js'

export interface MappingStoreOptions {
  file: string
  logger: Logger
  /** Pools of TLS identities that disappear on reload are closed gracefully. */
  pools?: BackendPools
  /** Debounce for bursts of fs events, default 200 ms. */
  debounceMs?: number
  /** Called after every reload attempt (tests, metrics). */
  onReload?: (r: { ok: boolean; error?: Error }) => void
}

export class MappingStore {
  #table: RouteTable
  #text: string
  readonly #opts: MappingStoreOptions
  #watcher: FSWatcher | undefined
  #timer: NodeJS.Timeout | undefined
  #reloading: Promise<void> = Promise.resolve()

  private constructor(table: RouteTable, text: string, opts: MappingStoreOptions) {
    this.#table = table
    this.#text = text
    this.#opts = opts
  }

  /** Loads the file (throws MappingFileError with every problem) and starts watching it. */
  static async open(opts: MappingStoreOptions): Promise<MappingStore> {
    let text: string
    try {
      text = await readFile(opts.file, 'utf8')
    } catch (e) {
      throw new MappingFileError([{ file: opts.file, entry: -1, line: 0, field: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }])
    }
    const table = compileRouteTable(await buildMappings(text, opts.file))
    const store = new MappingStore(table, text, opts)
    store.#watch()
    return store
  }

  /** The table to route one request with. */
  get current(): RouteTable {
    return this.#table
  }

  readonly routes = (): RouteTable => this.#table

  #watch(): void {
    try {
      this.#watcher = watchFilesIn(dirname(this.#opts.file), [this.#opts.file], () => this.#schedule())
      this.#watcher.on('error', (e) => this.#opts.logger.warn({ err: e }, 'mapping file watch failed; reloads disabled'))
    } catch (e) {
      this.#opts.logger.warn({ err: e }, 'cannot watch the mapping file directory; reloads disabled')
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#reloading = this.#reloading.then(() => this.reload())
    }, this.#opts.debounceMs ?? 200)
    this.#timer.unref()
  }

  /** Re-reads the file; swaps the table only if the new file is valid and different. */
  async reload(): Promise<void> {
    const { file, logger } = this.#opts
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      // Mid-swap (symlink replaced) or deleted: keep serving with what we have.
      logger.warn({ file, err: e }, 'mapping file unreadable; keeping the current mappings')
      this.#opts.onReload?.({ ok: false, error: e as Error })
      return
    }
    if (text === this.#text) return
    try {
      const table = compileRouteTable(await buildMappings(text, file))
      this.#table = table
      this.#text = text
      logger.info({ file, mappings: table.mappings.map((m) => m.path) }, 'mapping file reloaded')
      if (this.#opts.pools !== undefined) {
        this.#opts.pools
          .retainOnly(new Set(table.mappings.map((m) => m.fingerprint)))
          .catch((e: unknown) => logger.warn({ err: e }, "closing unused backend pools failed"))
      }
      this.#opts.onReload?.({ ok: true })
    } catch (e) {
      const msg = e instanceof MappingFileError ? e.errors.map((x) => `${x.file}:${x.line} entry ${x.entry} ${x.field}: ${x.message}`) : String(e)
      logger.error({ file, errors: msg }, 'mapping file rejected; keeping the current mappings')
      this.#opts.onReload?.({ ok: false, error: e as Error })
    }
  }

  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#watcher?.close()
    this.#watcher = undefined
  }
}
