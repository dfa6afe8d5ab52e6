// WATCH semantics (docs/upstream.md#kube-api): resume from an RV inside the history window (else 200 + one ERROR 410
// event + end), synthetic ADDED for RV unset/0, watch-list (sendInitialEvents) with the initial-events-end
// bookmark, bookmarks, timeoutSeconds, selector transitions as ADDED/DELETED. Headers are flushed at once and
// every event is one JSON line.
import type { ServerResponse } from 'node:http'
import { ExpiredError, type Store, type StoreEvent, type StoredObject, type EventType } from './store.js'
import { expiredWatch, invalidListOptions, tooLargeResourceVersion } from './status.js'
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from './selectors.js'
import { parseRV } from './list.js'

export interface WatchQuery {
  res: string
  cluster: string
  namespace?: string
  kind: string
  apiVersion: string
  resourceVersion?: string
  resourceVersionMatch?: string
  sendInitialEvents?: string
  allowWatchBookmarks: boolean
  timeoutSeconds?: number
  labels: LabelRequirement[]
  fields: FieldRequirement[]
}

/** The open watches of one shard, so `dropWatches()` and `stats.openWatches` can see them. */
export class WatchRegistry {
  private readonly open = new Set<() => void>()
  get size(): number {
    return this.open.size
  }
  add(end: () => void): () => void {
    this.open.add(end)
    return () => this.open.delete(end)
  }
  dropAll(): void {
    for (const end of [...this.open]) end()
  }
}

/** Checks the watch parameters; throws a 4xx/5xx StatusError before any header is written. */
export function validateWatch(q: WatchQuery, current: number): void {
  const sie = q.sendInitialEvents
  const match = q.resourceVersionMatch ?? ''
  if (sie !== undefined && sie !== '') {
    if (match !== 'NotOlderThan') throw invalidListOptions('sendInitialEvents', 'Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan')
    if (sie === 'true' && !q.allowWatchBookmarks) throw invalidListOptions('allowWatchBookmarks', 'Required value: allowWatchBookmarks required when sendInitialEvents is true')
  } else if (match !== '') {
    throw invalidListOptions('resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided')
  }
  const n = parseRV(q.resourceVersion)
  if (sie === 'true' && n !== undefined && n > current) throw tooLargeResourceVersion(n, current)
}

export interface WatchOptions {
  bookmarkIntervalMs: number
  /** How an event's object is written (default: the object's JSON); Table watches encode one-row Tables. */
  encode?: (o: StoredObject) => string
}

export function serveWatch(store: Store, q: WatchQuery, res: ServerResponse, registry: WatchRegistry, o: WatchOptions): void {
  const n = parseRV(q.resourceVersion)
  const initial = q.sendInitialEvents === 'true' || ((q.sendInitialEvents === undefined || q.sendInitialEvents === '') && (n === undefined || n === 0))
  const inScope = (x: StoredObject): boolean => (q.cluster === '*' || x.cluster === q.cluster) && (q.namespace === undefined || q.namespace === '' || x.namespace === q.namespace)
  const matches = (x: StoredObject): boolean => inScope(x) && matchesLabels(q.labels, x.labels) && matchesFields(q.fields, x.name, x.namespace)

  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' })
  res.flushHeaders()

  let lastRV = n ?? 0
  let ended = false
  const write = (type: EventType | 'BOOKMARK' | 'ERROR', json: string): void => {
    if (!ended) res.write(`{"type":"${type}","object":${json}}\n`)
  }
  const encode = o.encode ?? ((x: StoredObject): string => x.json)
  const emit = (type: EventType, x: StoredObject): void => write(type, encode(x))
  const deliver = (ev: StoreEvent): void => {
    if (ev.rv <= lastRV) return
    lastRV = ev.rv
    const now = matches(ev.object)
    const before = ev.prev !== undefined && matches(ev.prev)
    if (ev.type === 'ADDED') { if (now) emit('ADDED', ev.object) }
    else if (ev.type === 'DELETED') { if (before) emit('DELETED', ev.object) }
    else if (now && before) emit('MODIFIED', ev.object)
    else if (now) emit('ADDED', ev.object)
    else if (before) emit('DELETED', ev.object)
  }
  const bookmark = (annotations?: Record<string, string>): void => {
    const meta: Record<string, unknown> = { resourceVersion: String(lastRV) }
    if (annotations) meta.annotations = annotations
    write('BOOKMARK', JSON.stringify({ kind: q.kind, apiVersion: q.apiVersion, metadata: meta }))
  }

  const timers: NodeJS.Timeout[] = []
  let unsubscribe = (): void => {}
  let unregister = (): void => {}
  const end = (): void => {
    if (ended) return
    ended = true
    for (const t of timers) clearTimeout(t)
    unsubscribe()
    unregister()
    res.end()
  }
  res.on('close', end)
  if (res.destroyed || res.socket?.destroyed === true) { end(); return } // the client left while the request waited (setLatency)

  if (initial) {
    const current = store.rv
    for (const x of store.snapshot(q.res, q.cluster, q.namespace, current)) if (matches(x)) emit('ADDED', x)
    lastRV = current
    if (q.sendInitialEvents === 'true') {
      const blueprint = Buffer.from(JSON.stringify({ kind: `${q.kind}List`, apiVersion: q.apiVersion, metadata: { resourceVersion: String(current) }, items: [] })).toString('base64')
      bookmark({ 'k8s.io/initial-events-end': 'true', 'kubernetes.io/initial-events-list-blueprint': blueprint })
    }
  } else {
    let backlog: StoreEvent[]
    try {
      backlog = store.eventsSince(n ?? 0)
    } catch (e) {
      if (!(e instanceof ExpiredError)) throw e
      write('ERROR', JSON.stringify(expiredWatch(e.requested, e.oldest)))
      end()
      return
    }
    for (const ev of backlog) if (ev.object.res === q.res) deliver(ev)
    lastRV = Math.max(lastRV, store.rv)
  }
  unsubscribe = store.subscribe(q.res, deliver)
  unregister = registry.add(end)

  // Without timeoutSeconds the apiserver picks a random 30–60 min; so do we.
  const timeoutMs = q.timeoutSeconds !== undefined && q.timeoutSeconds > 0 ? q.timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000
  timers.push(setTimeout(end, timeoutMs))
  if (q.allowWatchBookmarks) {
    // Bookmarks only move the client forward: send one when the shard RV advanced past what it has seen.
    const maybeBookmark = (): void => {
      if (store.rv > lastRV) {
        lastRV = store.rv
        bookmark()
      }
    }
    const interval = setInterval(maybeBookmark, o.bookmarkIntervalMs)
    timers.push(interval)
    if (timeoutMs >= 3000) timers.push(setTimeout(maybeBookmark, timeoutMs - 2000))
  }
}
