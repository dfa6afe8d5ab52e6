// Holds the current route table and reloads it when the mapping file changes, through the
// shared reloadable-file primitive (src/files/reloadable.ts): the directory is watched (a
// Kubernetes ConfigMap volume updates by swapping a `..data` symlink, which a watch on the old
// file inode never sees) and a periodic check backs the watch up. A reload builds a complete
// new table and swaps one reference: requests already routed keep the mapping they started
// with; a broken new file is logged and the old table stays.
import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { ReloadableFile, type ReloadProblem, type WatchFn } from '../files/reloadable.js'
import { buildMappings, MappingFileError } from './mapping.js'
import { compileRouteTable, type RouteTable } from './router.js'
import type { BackendPools } from './backends.js'

export interface MappingStoreOptions {
  file: string
  logger: Logger
  /** Pools of TLS identities that disappear on reload are closed gracefully. */
  pools?: BackendPools
  /** Debounce for bursts of fs events, default 200 ms. */
  debounceMs?: number
  /** Backup poll interval, default 60 s (bounds in src/files/reloadable.ts). */
  pollMs?: number
  /** Directory watcher; default fs.watch (tests inject one that fails). */
  watch?: WatchFn
  /** Called after every reload attempt that changed or failed (tests, metrics). */
  onReload?: (r: { ok: boolean; error?: Error }) => void
}

export class MappingStore {
  readonly #opts: MappingStoreOptions
  readonly #source: ReloadableFile<RouteTable>

  private constructor(table: RouteTable, text: string, opts: MappingStoreOptions) {
    this.#opts = opts
    const { file } = opts
    this.#source = new ReloadableFile<RouteTable>({
      files: [file],
      initial: { value: table, contents: [text] },
      parse: async ([t]) => compileRouteTable(await buildMappings(t, file)),
      onChange: (next) => this.#changed(next),
      onProblem: (p) => this.#problem(p),
      ...(opts.debounceMs !== undefined ? { debounceMs: opts.debounceMs } : {}),
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      ...(opts.watch !== undefined ? { watch: opts.watch } : {}),
    })
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
    return new MappingStore(table, text, opts)
  }

  /** The table to route one request with. */
  get current(): RouteTable {
    return this.#source.value
  }

  readonly routes = (): RouteTable => this.#source.value

  /** Re-reads the file now; swaps the table only if the new file is valid and different. */
  reload(): Promise<void> {
    return this.#source.check()
  }

  #changed(table: RouteTable): void {
    const { file, logger, pools } = this.#opts
    logger.info({ file, mappings: table.mappings.map((m) => m.path) }, 'mapping file reloaded')
    if (pools !== undefined) {
      pools
        .retainOnly(new Set(table.mappings.map((m) => m.fingerprint)))
        .catch((e: unknown) => logger.warn({ err: e }, 'closing unused backend pools failed'))
    }
    this.#opts.onReload?.({ ok: true })
  }

  #problem(p: ReloadProblem): void {
    const { file, logger } = this.#opts
    const e = p.error
    switch (p.kind) {
      case 'unreadable':
        // Mid-swap (symlink replaced) or deleted: keep serving with what we have.
        logger.warn({ file, err: e }, 'mapping file unreadable; keeping the current mappings')
        break
      case 'rejected': {
        const msg = e instanceof MappingFileError ? e.errors.map((x) => `${x.file}:${x.line} entry ${x.entry} ${x.field}: ${x.message}`) : String(e)
        logger.error({ file, errors: msg }, 'mapping file rejected; keeping the current mappings')
        break
      }
      case 'watch-failed':
        logger.warn({ file, dir: p.dir, err: e }, 'cannot watch the mapping file directory; polling for changes')
        return
      case 'notify-failed':
        logger.error({ file, err: e }, 'mapping file reload listener failed')
        return
    }
    this.#opts.onReload?.({ ok: false, error: e as Error })
  }

  close(): void {
    this.#source.close()
  }
}
