// A list/watch reflector with client-go's semantics (paged list, watch from the list RV
// with bookmarks, re-watch on clean end, relist-and-replace on 410, backoff on failure,
// watchdog for silent streams), plus an in-memory store so a relist can emit the
// deletions that happened while the watch was down.
import { NdjsonDecoder } from './ndjson.js'
import type { ListWatchClient } from './client.js'
import { Backoff, realClock, type BackoffOptions, type Clock } from './backoff.js'
import type { KubeObject, ListMeta } from './object.js'

export type { KubeObject } from './object.js'

export interface EventInfo {
  /** clock.now() when the bytes carrying this event arrived (for a list: when the page arrived). */
  receivedAt: number
  /** `watch` for a watch event, `list` when the change was found by a (re)list. */
  source: 'watch' | 'list'
}

export type RestartReason = 'timeout' | 'error' | 'watchdog' | 'expired'

export interface ReflectorEvents<T> {
  add: (obj: T, info: EventInfo) => void
  update: (obj: T, old: T, info: EventInfo) => void
  delete: (obj: T, info: EventInfo) => void
  /** After the first complete list (once). */
  synced: () => void
  /** A failure that leads to a backoff (list/watch error, malformed stream, very short watch). */
  error: (err: Error) => void
  /** A list is starting; `reason` is `initial`, `expired` or `error`. */
  relist: (reason: string) => void
  /** A watch request is being (re)started after a previous one ended. */
  restart: (reason: RestartReason) => void
}

export interface ReflectorTuning {
  /** Page size of lists, default 500. */
  pageSize?: number
  backoff?: BackoffOptions
  /** Restart a watch that delivered no bytes for this long, default 10 min. */
  watchdogMs?: number
  /** A watch ending sooner than this without events is a failure ("very short watch"), default 1 s. */
  minWatchMs?: number
  /** timeoutSeconds for each watch; default random in [300, 600). */
  watchTimeoutSeconds?: () => number
  clock?: Clock
  random?: () => number
}

export interface ReflectorOptions<T> extends ReflectorTuning {
  client: ListWatchClient
  /** Collection path, e.g. `/clusters/*\/apis/core.kcp.io/v1alpha1/logicalclusters`. */
  path: string
  /** For messages. */
  name?: string
  /** Store key; default `<kcp.io/cluster>|<namespace>|<name>` (wildcard lists span logical clusters). */
  keyOf?: (obj: T) => string
  /**
   * Applied to every listed or watched object before it is stored and emitted (client-go's SetTransform):
   * lets the cache hold only what consumers read. Must keep `metadata.name`, `metadata.resourceVersion`
   * and whatever `keyOf` reads. Default: the object as received.
   */
  transform?: (obj: T) => T
  /** Objects known before this reflector started (e.g. from a reflector it replaces): the first list replaces them. */
  initialStore?: ReadonlyMap<string, T>
}

export class ReflectorError extends Error {
  constructor(
    message: string,
    readonly kind: 'expired' | 'http' | 'network' | 'protocol' | 'short-watch',
    readonly status?: number,
  ) {
    super(message)
    this.name = 'ReflectorError'
  }
}

export function defaultKey(obj: KubeObject): string {
  const m = obj.metadata
  return `${m.annotations?.['kcp.io/cluster'] ?? ''}|${m.namespace ?? ''}|${m.name}`
}

type Listeners<T> = { [K in keyof ReflectorEvents<T>]: ReflectorEvents<T>[K][] }

interface ListBody<T> {
  metadata?: ListMeta
  items?: T[]
}

interface WatchEvent {
  type?: string
  object?: { metadata?: { resourceVersion?: string }; code?: number; reason?: string; message?: string }
}

export class Reflector<T extends KubeObject> {
  readonly name: string
  private readonly client: ListWatchClient
  private readonly path: string
  private readonly keyOf: (obj: T) => string
  private readonly transform: ((obj: T) => T) | undefined
  private readonly pageSize: number
  private readonly watchdogMs: number
  private readonly minWatchMs: number
  private readonly watchTimeout: () => number
  private readonly clock: Clock
  private readonly backoff: Backoff
  private readonly listeners: Listeners<T> = { add: [], update: [], delete: [], synced: [], error: [], relist: [], restart: [] }

  private store: Map<string, T>
  private rv = ''
  private needList = true
  private rvUnavailable = false
  private expiredStreak = 0
  private running = false
  private stopped = false
  private abort = new AbortController()
  private wake: (() => void) | undefined
  private loop: Promise<void> | undefined

  synced = false
  readonly whenSynced: Promise<void>
  private resolveSynced!: () => void
  /** The last error, cleared by a successful list or watch event. */
  lastError: Error | undefined

  constructor(opts: ReflectorOptions<T>) {
    this.client = opts.client
    this.path = opts.path
    this.name = opts.name ?? opts.path
    this.keyOf = opts.keyOf ?? defaultKey
    this.transform = opts.transform
    this.pageSize = opts.pageSize ?? 500
    this.watchdogMs = opts.watchdogMs ?? 10 * 60_000
    this.minWatchMs = opts.minWatchMs ?? 1000
    this.clock = opts.clock ?? realClock
    const random = opts.random ?? Math.random
    this.watchTimeout = opts.watchTimeoutSeconds ?? (() => 300 + Math.floor(random() * 300))
    this.backoff = new Backoff(opts.backoff, this.clock, random)
    this.store = new Map(opts.initialStore)
    this.whenSynced = new Promise((resolve) => (this.resolveSynced = resolve))
  }

  on<K extends keyof ReflectorEvents<T>>(event: K, fn: ReflectorEvents<T>[K]): this {
    this.listeners[event].push(fn)
    return this
  }

  /** Current objects by key (read-only view). */
  items(): ReadonlyMap<string, T> {
    return this.store
  }

  get resourceVersion(): string {
    return this.rv
  }

  start(): void {
    if (this.running || this.stopped) return
    this.running = true
    this.loop = this.run()
  }

  /** Aborts every request and timer; resolves when the loop has ended. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true
    this.abort.abort()
    this.wake?.()
    await this.loop
  }

  private emit<K extends keyof ReflectorEvents<T>>(event: K, ...args: Parameters<ReflectorEvents<T>[K]>): void {
    for (const fn of this.listeners[event]) {
      try {
        ;(fn as (...a: unknown[]) => void)(...args)
      } catch (err) {
        // A broken handler must not kill the watch loop; report it like any other error.
        if (event !== 'error') this.emit('error', new Error(`${this.name}: ${event} handler threw: ${(err as Error).message}`))
      }
    }
  }

  private async run(): Promise<void> {
    let listReason = 'initial'
    let restartReason: RestartReason | undefined
    while (!this.stopped) {
      try {
        if (this.needList) {
          this.emit('relist', listReason)
          await this.list()
          this.needList = false
        }
        if (restartReason !== undefined) this.emit('restart', restartReason)
        restartReason = await this.watch()
      } catch (err) {
        if (this.stopped) break
        const e = toReflectorError(err)
        this.lastError = e
        if (e.kind === 'expired') {
          this.needList = true
          // client-go: after "too old", relist with a consistent read (RV="") rather than from the cache.
          this.rvUnavailable = true
          listReason = 'expired'
          restartReason = 'expired'
          // The first expiry relists at once (compaction is routine); repeated ones without a
          // healthy watch event in between back off, so a broken server cannot make us spin.
          if (++this.expiredStreak === 1) continue
        } else {
          this.emit('error', new Error(`${this.name}: ${e.message}`))
          listReason = 'error'
          restartReason = 'error'
        }
        await this.sleep(this.backoff.fail())
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.wake = undefined
        resolve()
      }, ms)
      this.wake = () => {
        this.clock.clearTimeout(timer)
        this.wake = undefined
        resolve()
      }
    })
  }

  /** Lists all pages, then replaces the store: missing objects become deletions. */
  private async list(): Promise<void> {
    const items = new Map<string, T>()
    const rv = this.rvUnavailable ? '' : this.synced ? this.rv : '0'
    // Like client-go: a relist from a known RV asks for the whole list so a watch cache can
    // serve it; the first list and consistent relists are paged.
    const paged = rv === '0' || rv === ''
    let cont = ''
    let listRV = ''
    let receivedAt = 0
    for (let page = 0; ; page++) {
      const q = new URLSearchParams()
      if (paged) q.set('limit', String(this.pageSize))
      if (cont) q.set('continue', cont)
      else q.set('resourceVersion', rv)
      const res = await this.client.getJSON(`${this.path}?${q.toString()}`, this.abort.signal)
      receivedAt = this.clock.now()
      if (res.status !== 200) throw httpError('list', res.status, res.body)
      const body = res.body as ListBody<T> | undefined
      if (!body || typeof body !== 'object' || !Array.isArray(body.items)) throw new ReflectorError('list: response is not a list', 'protocol', 200)
      for (const item of body.items) {
        if (typeof item?.metadata?.name !== 'string') throw new ReflectorError('list: item without metadata.name', 'protocol', 200)
        const o = this.transform ? this.transform(item) : item
        items.set(this.keyOf(o), o)
      }
      if (page === 0) listRV = body.metadata?.resourceVersion ?? ''
      cont = body.metadata?.continue ?? ''
      if (!cont) break
    }
    if (this.stopped) return
    this.replace(items, { receivedAt, source: 'list' })
    this.rv = listRV
    this.rvUnavailable = false
    this.lastError = undefined
    if (!this.synced) {
      this.synced = true
      this.resolveSynced()
      this.emit('synced')
    }
  }

  private replace(next: Map<string, T>, info: EventInfo): void {
    const prev = this.store
    this.store = next
    for (const [key, old] of prev) if (!next.has(key)) this.emit('delete', old, info)
    for (const [key, obj] of next) {
      const old = prev.get(key)
      if (old === undefined) this.emit('add', obj, info)
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion || old.metadata.resourceVersion === undefined) this.emit('update', obj, old, info)
    }
  }

  /** One watch request. Resolves with why it ended cleanly; throws on failure. */
  private async watch(): Promise<RestartReason> {
    const q = new URLSearchParams({
      allowWatchBookmarks: 'true',
      resourceVersion: this.rv,
      timeoutSeconds: String(this.watchTimeout()),
      watch: 'true',
    })
    const ac = new AbortController()
    const onStop = () => ac.abort()
    this.abort.signal.addEventListener('abort', onStop)
    let watchdogFired = false
    let watchdog: unknown
    const armWatchdog = () => {
      if (watchdog !== undefined) this.clock.clearTimeout(watchdog)
      watchdog = this.clock.setTimeout(() => {
        watchdogFired = true
        ac.abort()
      }, this.watchdogMs)
    }
    const startedAt = this.clock.now()
    let events = 0
    try {
      armWatchdog()
      const res = await this.client.watchStream(`${this.path}?${q.toString()}`, ac.signal)
      if (!('stream' in res)) throw httpError('watch', res.status, res.body)
      const decoder = new NdjsonDecoder()
      try {
        for await (const chunk of res.stream) {
          armWatchdog()
          const receivedAt = this.clock.now()
          decoder.push(chunk, (ev) => {
            events++
            this.handleEvent(ev as WatchEvent, receivedAt)
          })
        }
        decoder.end((ev) => {
          events++
          this.handleEvent(ev as WatchEvent, this.clock.now())
        })
      } finally {
        // Ends the request when we leave early (ERROR event, malformed line).
        ac.abort()
      }
    } catch (err) {
      if (watchdogFired && !this.stopped) return 'watchdog'
      throw err
    } finally {
      if (watchdog !== undefined) this.clock.clearTimeout(watchdog)
      this.abort.signal.removeEventListener('abort', onStop)
    }
    if (events === 0 && this.clock.now() - startedAt < this.minWatchMs) {
      throw new ReflectorError(`very short watch: ended after ${this.clock.now() - startedAt} ms without events`, 'short-watch')
    }
    return 'timeout'
  }

  /** Applies one watch event; throws when the watch must end (ERROR event, bad event). */
  private handleEvent(ev: WatchEvent, receivedAt: number): void {
    const obj = ev.object
    if (!ev || typeof ev !== 'object' || !obj || typeof obj !== 'object') throw new ReflectorError('watch: event without object', 'protocol')
    if (ev.type === 'ERROR') {
      const status = obj as { code?: number; reason?: string; message?: string }
      if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') {
        throw new ReflectorError(`watch: ${status.message ?? 'resource version expired'}`, 'expired', 410)
      }
      throw new ReflectorError(`watch: ERROR event: ${status.code ?? '?'} ${status.reason ?? ''} ${status.message ?? ''}`.trim(), 'http', status.code)
    }
    const rv = obj.metadata?.resourceVersion
    const info: EventInfo = { receivedAt, source: 'watch' }
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const raw = obj as unknown as T
        if (typeof raw.metadata?.name !== 'string') throw new ReflectorError(`watch: ${ev.type} object without metadata.name`, 'protocol')
        const o = this.transform ? this.transform(raw) : raw
        const key = this.keyOf(o)
        const old = this.store.get(key)
        this.store.set(key, o)
        if (old === undefined) this.emit('add', o, info)
        else this.emit('update', o, old, info)
        break
      }
      case 'DELETED': {
        const raw = obj as unknown as T
        if (typeof raw.metadata?.name !== 'string') throw new ReflectorError('watch: DELETED object without metadata.name', 'protocol')
        const o = this.transform ? this.transform(raw) : raw
        const key = this.keyOf(o)
        const old = this.store.get(key)
        this.store.delete(key)
        this.emit('delete', old ?? o, info)
        break
      }
      case 'BOOKMARK':
        break
      default:
        throw new ReflectorError(`watch: unknown event type ${JSON.stringify(ev.type)}`, 'protocol')
    }
    if (rv) this.rv = rv
    this.lastError = undefined
    this.expiredStreak = 0
  }
}

function httpError(what: string, status: number, body: unknown): ReflectorError {
  const s = (body && typeof body === 'object' ? body : {}) as { reason?: string; message?: string; details?: { causes?: { reason?: string }[] } }
  const tooLarge = status === 504 && s.details?.causes?.some((c) => c.reason === 'ResourceVersionTooLarge') === true
  const kind = status === 410 || tooLarge ? 'expired' : 'http'
  const msg = s.message ?? (typeof body === 'string' ? body.slice(0, 200) : '')
  return new ReflectorError(`${what}: HTTP ${status}${s.reason ? ' ' + s.reason : ''}${msg ? ': ' + msg : ''}`, kind, status)
}

function toReflectorError(err: unknown): ReflectorError {
  if (err instanceof ReflectorError) return err
  if (err instanceof Error && err.name === 'NdjsonError') return new ReflectorError(`watch: ${err.message}`, 'protocol')
  const e = err as { code?: string; message?: string }
  return new ReflectorError(`${e.code ? e.code + ' ' : ''}${e.message ?? String(err)}`, 'network')
}
