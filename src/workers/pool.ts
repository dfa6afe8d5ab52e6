// The primary's workers: forks them, feeds each the index (snapshot on 'hello', then every
// change, batched per event-loop turn) and the controller's readiness, restarts one that dies
// (bounded backoff, logged), collects metrics for an aggregate, and drains them on shutdown.
import cluster, { type Worker } from 'node:cluster'
import type { Logger } from 'pino'
import type { ReadinessReport } from '../controller/types.js'
import type { IndexRecorder, RelayOp } from './index-relay.js'
import { isMessage, type ToPrimary, type ToWorker } from './messages.js'
import type { MetricsJSON } from './metrics-aggregate.js'

/** Ops per IPC message: a 100,000-workspace snapshot goes in pieces, not one huge clone. */
const CHUNK = 5000
const READINESS_POLL_MS = 250
const COLLECT_TIMEOUT_MS = 5000
/** A worker that lived this long before dying starts its backoff afresh. */
export const STABLE_MS = 10_000

/** Delay before restarting a worker after `failures` deaths in a row: 100 ms doubling up to 10 s. */
export function restartDelayMs(failures: number): number {
  return Math.min(100 * 2 ** Math.max(0, failures - 1), 10_000)
}

export interface PoolDeps {
  count: number
  logger: Logger
  recorder: IndexRecorder
  readiness: () => ReadinessReport
  /** Log lines from a worker, to the primary's destination. */
  log: (text: string, urgent: boolean) => void
  /** The aggregate for a worker's /metrics. */
  aggregate: (fromWorkers: MetricsJSON[]) => Promise<string>
}

interface Slot {
  worker: Worker | undefined
  failures: number
  startedAt: number
  timer: NodeJS.Timeout | undefined
}

export class WorkerPool {
  readonly #d: PoolDeps
  readonly #slots: Slot[] = []
  /** Workers that have the snapshot and get every change. */
  readonly #fed = new Set<Worker>()
  #pending: RelayOp[] = []
  #lastReadiness = ''
  #stopping = false
  #collects = 0
  readonly #collecting = new Map<number, { want: Set<Worker>; got: MetricsJSON[]; done: () => void }>()
  readonly #poll: NodeJS.Timeout
  readonly #unsubscribe: () => void
  #firstStart: { resolve: () => void; reject: (e: Error) => void; listening: Set<number> } | undefined

  constructor(d: PoolDeps) {
    this.#d = d
    this.#unsubscribe = d.recorder.onOp((op) => {
      if (this.#pending.length === 0) setImmediate(() => this.#flush())
      this.#pending.push(op)
    })
    this.#poll = setInterval(() => this.#sendReadiness(), READINESS_POLL_MS)
    this.#poll.unref()
  }

  /** Forks every worker; resolves when all listen, rejects when one fails before it ever did. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#firstStart = { resolve, reject, listening: new Set() }
      for (let i = 0; i < this.#d.count; i++) {
        this.#slots.push({ worker: undefined, failures: 0, startedAt: 0, timer: undefined })
        this.#fork(i)
      }
    })
  }

  get workers(): Worker[] {
    return this.#slots.flatMap((s) => (s.worker !== undefined ? [s.worker] : []))
  }

  #fork(i: number): void {
    const slot = this.#slots[i]
    slot.timer = undefined
    if (this.#stopping) return
    const w = cluster.fork()
    slot.worker = w
    slot.startedAt = Date.now()
    let failure: string | undefined
    // A send racing the worker's death fails with EPIPE; its 'exit' follows and is handled there.
    w.on('error', (err: Error) => this.#d.logger.debug({ exitedWorker: w.id, err: err.message }, 'worker channel error'))
    w.on('message', (m: unknown) => {
      if (!isMessage<ToPrimary>(m)) return
      if (m.t === 'failed') failure = m.message
      else this.#onMessage(i, w, m)
    })
    w.on('exit', (code, signal) => {
      this.#fed.delete(w)
      for (const c of this.#collecting.values()) if (c.want.delete(w) && c.want.size === 0) c.done()
      if (slot.worker === w) slot.worker = undefined
      const first = this.#firstStart
      if (this.#stopping) return
      if (first !== undefined && !first.listening.has(i)) {
        // Start-up failed (bad flags for the server, a certificate that does not load): as a
        // single process would, the whole command fails instead of retrying forever.
        this.#firstStart = undefined
        first.reject(new Error(failure ?? `worker ${w.id} exited during start-up (code ${code}, signal ${signal})`))
        return
      }
      slot.failures = Date.now() - slot.startedAt >= STABLE_MS ? 1 : slot.failures + 1
      const delayMs = restartDelayMs(slot.failures)
      this.#d.logger.error({ exitedWorker: w.id, code, signal, restartInMs: delayMs }, 'worker exited unexpectedly; restarting it')
      slot.timer = setTimeout(() => this.#fork(i), delayMs)
    })
  }

  #onMessage(i: number, w: Worker, m: Exclude<ToPrimary, { t: 'failed' }>): void {
    switch (m.t) {
      // A worker that says hello after shutdown began had no message handler when it was asked
      // to stop (IPC messages to a process without a listener are lost): ask it now.
      case 'hello': return this.#stopping ? send(w, { t: 'shutdown' }) : this.#feed(w)
      case 'log': return this.#d.log(m.text, m.urgent)
      case 'listening': {
        const first = this.#firstStart
        if (first === undefined) return
        first.listening.add(i)
        if (first.listening.size === this.#d.count) {
          this.#firstStart = undefined
          first.resolve()
        }
        return
      }
      case 'metrics-json': {
        const c = this.#collecting.get(m.id)
        if (c === undefined || !c.want.delete(w)) return
        c.got.push(m.metrics)
        if (c.want.size === 0) c.done()
        return
      }
      case 'metrics-request':
        this.#collect().then(
          (all) => this.#d.aggregate(all),
        ).then(
          (text) => send(w, { t: 'metrics-text', id: m.id, text }),
          (e: unknown) => send(w, { t: 'metrics-text', id: m.id, error: e instanceof Error ? e.message : String(e) }),
        )
    }
  }

  /** The snapshot, then the worker is fed every change (those batched so far went to the others first). */
  #feed(w: Worker): void {
    this.#flush()
    const ops = this.#d.recorder.snapshotOps()
    for (let i = 0; i < ops.length; i += CHUNK) send(w, { t: 'ops', ops: ops.slice(i, i + CHUNK) })
    send(w, { t: 'snapshot-done' })
    send(w, { t: 'readiness', report: this.#d.readiness() })
    this.#fed.add(w)
  }

  #flush(): void {
    if (this.#pending.length > 0) {
      const ops = this.#pending
      this.#pending = []
      for (const w of this.#fed) for (let i = 0; i < ops.length; i += CHUNK) send(w, { t: 'ops', ops: ops.slice(i, i + CHUNK) })
    }
    this.#sendReadiness()
  }

  /** Readiness has no change events of its own (a shard's sync deadline passes by itself): polled, sent when it differs. */
  #sendReadiness(): void {
    const report = this.#d.readiness()
    const json = JSON.stringify(report)
    if (json === this.#lastReadiness) return
    this.#lastReadiness = json
    for (const w of this.#fed) send(w, { t: 'readiness', report })
  }

  /** Every live worker's metrics; a worker that does not answer in time is left out. */
  #collect(): Promise<MetricsJSON[]> {
    const id = ++this.#collects
    const want = new Set(this.workers.filter((w) => w.isConnected()))
    return new Promise((resolve) => {
      const got: MetricsJSON[] = []
      const timer = setTimeout(() => done(), COLLECT_TIMEOUT_MS)
      const done = (): void => {
        clearTimeout(timer)
        this.#collecting.delete(id)
        resolve(got)
      }
      this.#collecting.set(id, { want, got, done })
      if (want.size === 0) return done()
      for (const w of want) send(w, { t: 'metrics-collect', id })
    })
  }

  /**
   * Stops restarting; asks every worker to shut down gracefully (each as a single process on
   * SIGTERM) and waits for them, killing those still alive after graceMs. Resolves with
   * whether every worker exited 0.
   */
  async shutdown(graceMs: number): Promise<boolean> {
    this.#stopping = true
    this.#unsubscribe()
    clearInterval(this.#poll)
    for (const s of this.#slots) if (s.timer !== undefined) clearTimeout(s.timer)
    const live = this.workers.filter((w) => !w.isDead())
    const exits = live.map((w) => new Promise<boolean>((resolve) => w.once('exit', (code) => resolve(code === 0))))
    for (const w of live) send(w, { t: 'shutdown' })
    const timer = setTimeout(() => {
      for (const w of live) if (!w.isDead()) {
        this.#d.logger.warn({ exitedWorker: w.id }, 'worker did not stop in time; killing it')
        w.process.kill('SIGKILL')
      }
    }, graceMs)
    const clean = await Promise.all(exits)
    clearTimeout(timer)
    return clean.every(Boolean)
  }

  /** Kills every worker at once (a second signal, or start-up failed). */
  kill(): void {
    this.#stopping = true
    this.#unsubscribe()
    clearInterval(this.#poll)
    for (const s of this.#slots) if (s.timer !== undefined) clearTimeout(s.timer)
    for (const w of this.workers) if (!w.isDead()) w.process.kill('SIGKILL')
  }
}

function send(w: Worker, m: ToWorker): void {
  if (w.isConnected()) w.send(m)
}
