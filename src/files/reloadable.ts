// One value built from files on disk that follows the files: the serving certificate, the CA
// bundles and the mapping file all use it. Directory events (watch-filter.ts) are debounced into
// one check; a periodic poll backs them up, because fs.watch can fail outright (inotify limits,
// some network filesystems), die later, or stay silent without any error. A check re-reads the
// files, and only content that differs from what is served is parsed, swapped in and announced.
// A read or parse failure keeps the last good value and is reported, never thrown.
import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { watchFilesIn } from './watch-filter.js'

/** What the primitive needs of a directory watcher (an fs.FSWatcher satisfies it). */
export interface DirWatcher {
  close(): void
  on(event: 'error', listener: (err: Error) => void): unknown
}

/** Watches `dir`, calling `onEvent` for events that may concern `files`; throws like fs.watch. */
export type WatchFn = (dir: string, files: readonly string[], onEvent: () => void) => DirWatcher

/** Bounds of the timing knobs; values outside are clamped (docs/operations.md). */
export const DEBOUNCE_MS = { default: 200, min: 0, max: 10_000 } as const
export const POLL_MS = { default: 60_000, min: 20, max: 3_600_000 } as const

/** The outcome of one check, reported to onCheck. */
export type CheckOutcome = 'changed' | 'unchanged' | 'unreadable' | 'rejected'

/** A failure the owner should log; the last good value stays in place. */
export interface ReloadProblem {
  /**
   * unreadable: a file could not be read; rejected: parse threw; watch-failed: that directory is
   * polled only from now; notify-failed: onChange threw (the new value is in place).
   */
  kind: 'unreadable' | 'rejected' | 'watch-failed' | 'notify-failed'
  error: unknown
  /** The directory, for watch-failed. */
  dir?: string
}

export interface ReloadableOptions<T> {
  /** Read together, in this order, into one value (a certificate and its key). */
  files: readonly string[]
  /** What is served now and the file contents it was built from (the owner loaded it at startup). */
  initial: { value: T; contents: readonly string[] }
  /** Builds the value from the contents, in `files` order; throws to reject them. */
  parse: (contents: string[]) => T | Promise<T>
  /** Called once per swap, after `value` is the new one. */
  onChange: (value: T) => void
  onProblem: (p: ReloadProblem) => void
  /** Every finished check (tests, metrics). */
  onCheck?: (outcome: CheckOutcome) => void
  /** Quiet time after the last directory event before checking. Default 200 ms. */
  debounceMs?: number
  /** Backup check interval, running whether or not the watch works. Default 60 s. */
  pollMs?: number
  /** The directory watcher; default watchFilesIn (fs.watch). Tests inject one that fails. */
  watch?: WatchFn
}

export function clampMs(v: number | undefined, b: { default: number; min: number; max: number }): number {
  if (v === undefined || !Number.isFinite(v)) return b.default
  return Math.min(b.max, Math.max(b.min, v))
}

export class ReloadableFile<T> {
  readonly files: readonly string[]
  #value: T
  #contents: readonly string[]
  readonly #o: ReloadableOptions<T>
  readonly #debounceMs: number
  readonly #watchers = new Set<DirWatcher>()
  readonly #poll: NodeJS.Timeout
  #debounce: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #queued: Promise<void> | undefined
  #closed = false

  constructor(o: ReloadableOptions<T>) {
    this.files = [...o.files]
    this.#o = o
    this.#value = o.initial.value
    this.#contents = [...o.initial.contents]
    this.#debounceMs = clampMs(o.debounceMs, DEBOUNCE_MS)
    const watch = o.watch ?? watchFilesIn
    for (const dir of new Set(this.files.map((f) => dirname(f)))) {
      try {
        const w = watch(dir, this.files, () => this.#schedule())
        w.on('error', (error) => {
          // A dead watcher (directory removed, too many watches) leaves the poll in charge.
          w.close()
          this.#watchers.delete(w)
          this.#problem({ kind: 'watch-failed', error, dir })
        })
        this.#watchers.add(w)
      } catch (error) {
        this.#problem({ kind: 'watch-failed', error, dir })
      }
    }
    this.#poll = setInterval(() => void this.check(), clampMs(o.pollMs, POLL_MS))
    this.#poll.unref()
  }

  /** The last good value. */
  get value(): T {
    return this.#value
  }

  /** How many directories are watched now (0: polling only). */
  get watching(): number {
    return this.#watchers.size
  }

  /**
   * Re-reads the files now. A call during a running check queues one more check after it (an
   * event may have come after that check's read); further calls share the queued one.
   */
  check(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    if (this.#running !== undefined) {
      this.#queued ??= this.#running.then(() => {
        this.#queued = undefined
        return this.check()
      })
      return this.#queued
    }
    this.#running = this.#load().finally(() => (this.#running = undefined))
    return this.#running
  }

  close(): void {
    this.#closed = true
    if (this.#debounce !== undefined) clearTimeout(this.#debounce)
    clearInterval(this.#poll)
    for (const w of this.#watchers) w.close()
    this.#watchers.clear()
  }

  #schedule(): void {
    if (this.#closed) return
    if (this.#debounce !== undefined) clearTimeout(this.#debounce)
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined
      void this.check()
    }, this.#debounceMs)
    this.#debounce.unref()
  }

  async #load(): Promise<void> {
    let contents: string[]
    try {
      contents = await Promise.all(this.files.map((f) => readFile(f, 'utf8')))
    } catch (error) {
      // Mid-rotation (a file briefly absent) or removed: keep serving what we have.
      return this.#finish('unreadable', error)
    }
    if (this.#closed) return
    if (contents.every((c, i) => c === this.#contents[i])) return this.#finish('unchanged')
    let value: T
    try {
      value = await this.#o.parse(contents)
    } catch (error) {
      return this.#finish('rejected', error)
    }
    if (this.#closed) return
    this.#value = value
    this.#contents = contents
    try {
      this.#o.onChange(value)
    } catch (error) {
      // The swap happened; an owner's failing listener must not look like a rejected file.
      this.#problem({ kind: 'notify-failed', error })
    }
    this.#finish('changed')
  }

  #finish(outcome: CheckOutcome, error?: unknown): void {
    if (this.#closed) return
    if (outcome === 'unreadable' || outcome === 'rejected') this.#problem({ kind: outcome, error })
    this.#o.onCheck?.(outcome)
  }

  #problem(p: ReloadProblem): void {
    this.#o.onProblem(p)
  }
}
