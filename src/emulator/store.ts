// A versioned object store for one shard: one shard-wide, strictly increasing resourceVersion (like an etcd
// revision), a bounded event history for watch resume and for reading older snapshots, and synchronous
// fan-out to watchers. Objects are immutable once stored; writers hand over fresh objects.

import type { ObjectMeta } from '../kube/object.js'

export type KubeObject = Record<string, unknown> & { metadata: Meta }
/** The proxy's ObjectMeta plus what only the store writes; anything else a client sent is kept. */
export interface Meta extends ObjectMeta {
  finalizers?: string[]
  generateName?: string
  [k: string]: unknown
}

export class StoredObject {
  private cachedJSON: string | undefined
  /** The etcd-order sort key, built once: sorting a 100k-item snapshot compares it ~3 million times. */
  readonly key: string
  constructor(
    readonly res: string,
    readonly cluster: string,
    readonly namespace: string,
    readonly name: string,
    readonly rv: number,
    readonly obj: KubeObject,
  ) {
    this.key = objectKey(cluster, namespace, name)
  }
  /** Serialised once: GETs, lists and every watcher reuse the same string. */
  get json(): string {
    return (this.cachedJSON ??= JSON.stringify(this.obj))
  }
  get labels(): Record<string, string> | undefined {
    return this.obj.metadata.labels
  }
}

/** Sort key: the etcd key order (cluster, namespace, name). */
export const objectKey = (cluster: string, namespace: string, name: string): string => `${cluster}/${namespace}/${name}`

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  type: EventType
  rv: number
  /** New state; for DELETED the last state carrying the delete's RV. */
  object: StoredObject
  /** State before the event (MODIFIED, DELETED). */
  prev?: StoredObject
}

export type StoreListener = (ev: StoreEvent) => void

export class ExpiredError extends Error {
  constructor(readonly requested: number, readonly oldest: number) {
    super(`resource version ${requested} is older than ${oldest}`)
    this.name = 'ExpiredError'
  }
}

export class Store {
  private revision: number
  private compactedRV: number
  /** res → cluster → key → object. */
  private readonly tables = new Map<string, Map<string, Map<string, StoredObject>>>()
  private history: StoreEvent[] = []
  private historyStart = 0
  private readonly listeners = new Map<string, Set<StoreListener>>()
  private readonly snapshots = new Map<string, StoredObject[]>()

  constructor(readonly historyWindow = 10_000, startRV = 1) {
    this.revision = startRV
    this.compactedRV = startRV
  }

  /** Current shard-wide resourceVersion. */
  get rv(): number {
    return this.revision
  }

  /** Watches from an RV below this get 410 Expired. */
  get oldestRV(): number {
    return this.compactedRV
  }

  get(res: string, cluster: string, namespace: string, name: string): StoredObject | undefined {
    return this.tables.get(res)?.get(cluster)?.get(objectKey(cluster, namespace, name))
  }

  /** Current objects of `res` in `cluster` ('*' = all clusters), optionally one namespace; unsorted. */
  *iterate(res: string, cluster: string, namespace?: string): Generator<StoredObject> {
    const t = this.tables.get(res)
    if (!t) return
    const clusters = cluster === '*' ? [...t.values()] : [t.get(cluster)].filter((x) => x !== undefined)
    for (const c of clusters) {
      for (const o of c.values()) if (namespace === undefined || namespace === '' || o.namespace === namespace) yield o
    }
  }

  /** Every object of a logical cluster, any resource (for cascading deletes). */
  clusterObjects(cluster: string): StoredObject[] {
    const out: StoredObject[] = []
    for (const t of this.tables.values()) for (const o of t.get(cluster)?.values() ?? []) out.push(o)
    return out
  }

  hasObjectsIn(res: string, cluster: string): boolean {
    return (this.tables.get(res)?.get(cluster)?.size ?? 0) > 0
  }

  /**
   * Sorted state of `res`/`cluster`/`namespace` at `rv` (≤ current). Older states are rebuilt from the
   * history by undoing newer events; the result is cached so continue pages are cheap and consistent.
   */
  snapshot(res: string, cluster: string, namespace: string | undefined, rv: number): StoredObject[] {
    const ck = `${res}|${cluster}|${namespace ?? ''}|${rv}`
    const hit = this.snapshots.get(ck)
    if (hit) return hit
    let items: StoredObject[]
    if (rv >= this.revision) items = [...this.iterate(res, cluster, namespace)]
    else {
      if (rv < this.compactedRV) throw new ExpiredError(rv, this.compactedRV)
      const state = new Map<string, StoredObject>()
      for (const o of this.iterate(res, cluster, namespace)) state.set(o.key, o)
      const inScope = (o: StoredObject): boolean => o.res === res && (cluster === '*' || o.cluster === cluster) && (namespace === undefined || namespace === '' || o.namespace === namespace)
      for (let i = this.history.length - 1; i >= this.historyStart; i--) {
        const ev = this.history[i]
        if (ev.rv <= rv) break
        if (!inScope(ev.object)) continue
        if (ev.type === 'ADDED') state.delete(ev.object.key)
        else if (ev.prev) state.set(ev.prev.key, ev.prev)
      }
      items = [...state.values()]
    }
    items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    if (this.snapshots.size >= 16) this.snapshots.delete(this.snapshots.keys().next().value as string)
    this.snapshots.set(ck, items)
    return items
  }

  /** Events with RV > `rv`, or ExpiredError when they are no longer all retained. */
  eventsSince(rv: number): StoreEvent[] {
    if (rv < this.compactedRV) throw new ExpiredError(rv, this.compactedRV)
    let lo = this.historyStart
    let hi = this.history.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.history[mid].rv <= rv) lo = mid + 1
      else hi = mid
    }
    return this.history.slice(lo)
  }

  subscribe(res: string, fn: StoreListener): () => void {
    let set = this.listeners.get(res)
    if (!set) this.listeners.set(res, (set = new Set()))
    set.add(fn)
    return () => set.delete(fn)
  }

  /** Stores a new object (the caller checked it does not exist). Sets metadata.resourceVersion. */
  create(res: string, cluster: string, obj: KubeObject): StoredObject {
    const rv = ++this.revision
    obj.metadata.resourceVersion = String(rv)
    const o = new StoredObject(res, cluster, obj.metadata.namespace ?? '', obj.metadata.name, rv, obj)
    this.table(res, cluster).set(o.key, o)
    this.record({ type: 'ADDED', rv, object: o })
    return o
  }

  /** Replaces `prev` with `obj` (same identity). */
  update(prev: StoredObject, obj: KubeObject): StoredObject {
    const rv = ++this.revision
    obj.metadata.resourceVersion = String(rv)
    const o = new StoredObject(prev.res, prev.cluster, prev.namespace, prev.name, rv, obj)
    this.table(prev.res, prev.cluster).set(o.key, o)
    this.record({ type: 'MODIFIED', rv, object: o, prev })
    return o
  }

  /** Removes `prev`; returns its last state stamped with the delete's RV. */
  delete(prev: StoredObject): StoredObject {
    const rv = ++this.revision
    const t = this.tables.get(prev.res)?.get(prev.cluster)
    t?.delete(prev.key)
    if (t?.size === 0) this.tables.get(prev.res)?.delete(prev.cluster)
    const obj = { ...prev.obj, metadata: { ...prev.obj.metadata, resourceVersion: String(rv) } }
    const o = new StoredObject(prev.res, prev.cluster, prev.namespace, prev.name, rv, obj)
    this.record({ type: 'DELETED', rv, object: o, prev })
    return o
  }

  /** Forgets all history: watches, exact lists and continue tokens from any RV issued so far get 410. */
  compact(): void {
    // Advance the revision too, so that *every* RV handed out so far is older than the compaction point:
    // a client at the newest RV must also get 410 (the recipe tests use to force a relist).
    this.revision++
    this.compactedRV = this.revision
    this.history = []
    this.historyStart = 0
    this.snapshots.clear()
  }

  private table(res: string, cluster: string): Map<string, StoredObject> {
    let t = this.tables.get(res)
    if (!t) this.tables.set(res, (t = new Map<string, Map<string, StoredObject>>()))
    let c = t.get(cluster)
    if (!c) t.set(cluster, (c = new Map<string, StoredObject>()))
    return c
  }

  private record(ev: StoreEvent): void {
    this.history.push(ev)
    if (this.history.length - this.historyStart > this.historyWindow) {
      this.compactedRV = this.history[this.historyStart].rv
      this.historyStart++
      // Amortised trimming: copy only once the dead prefix is as long as the window.
      if (this.historyStart >= this.historyWindow) {
        this.history = this.history.slice(this.historyStart)
        this.historyStart = 0
      }
    }
    for (const fn of this.listeners.get(ev.object.res) ?? []) fn(ev)
  }
}
