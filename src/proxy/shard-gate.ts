// The gate in front of one shard's pool of short-request connections. At most `limit` requests
// are in flight (one per connection); more wait here, not in undici's pool, because here a
// waiter whose client has gone (an HTTP/2 reset, a closed socket) is dropped before a
// connection is ever opened or taken for it, and because here the wait is bounded: a full queue,
// or a wait past `timeoutMs`, is answered with a retryable 429 at once instead of a hang.
// A request beyond the connections already open makes the pool open one; at most
// MAX_CONNECTING such handshakes run at once, so a burst of requests that are reset a moment
// later (HTTP/2 rapid reset) costs a few handshakes, not one each.
import { ProxyError } from '../errors.js'

/** The pool's connections as its connector sees them (backends.ts keeps it current). */
export class ConnectionCount {
  /** Established and not yet closed. */
  open = 0
  /** Handshakes in progress. */
  connecting = 0
  /** Called when either changes: a waiter may now proceed. */
  onChange: (() => void) | undefined
}

/** Handshakes to one shard in progress at once for short requests. */
export const MAX_CONNECTING = 4

export interface GateOptions {
  /** Requests in flight at once (the pool's connection count). */
  limit: number
  /** Waiters beyond the limit; one more is answered 429. Default 1000. */
  size?: number
  /** Longest wait for a connection before a 429. Default 10 s. */
  timeoutMs?: number
  /** The pool's connections; without it only `limit` bounds what runs. */
  connections?: ConnectionCount
}

export const DEFAULT_QUEUE_SIZE = 1000
export const DEFAULT_QUEUE_TIMEOUT_MS = 10_000
/** What the 429 tells clients (client-go waits this long, then retries). */
export const RETRY_AFTER_SECONDS = 1

/** A queued request: `go` runs when a slot frees, `expire` when it waited too long. */
export interface Waiter {
  readonly go: () => void
  readonly expire: (err: ProxyError) => void
  readonly deadline: number
  live: boolean
}

export function tooManyRequests(message = 'Too many requests, please try again later.'): ProxyError {
  return new ProxyError('FP_TOO_MANY_REQUESTS', message, { details: { retryAfterSeconds: RETRY_AFTER_SECONDS } })
}

export class ShardGate {
  readonly limit: number
  readonly size: number
  readonly timeoutMs: number
  #inflight = 0
  /** FIFO with a moving head: shift() on a long array is O(n). Cancelled waiters stay until reached. */
  #queue: Waiter[] = []
  #head = 0
  /** Waiters still waiting (the queue also holds cancelled ones until they reach the head). */
  #live = 0
  #timer: NodeJS.Timeout | undefined
  #closed = false
  readonly #conns: ConnectionCount | undefined

  constructor(o: GateOptions) {
    this.limit = o.limit
    this.size = o.size ?? DEFAULT_QUEUE_SIZE
    this.timeoutMs = o.timeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS
    this.#conns = o.connections
    if (this.#conns !== undefined) this.#conns.onChange = () => this.#drain()
  }

  /** Whether one more request may run now: a slot is free, and a connection is free or may be opened. */
  #canRun(): boolean {
    if (this.#inflight >= this.limit) return false
    const c = this.#conns
    return c === undefined || this.#inflight < c.open || c.connecting < MAX_CONNECTING
  }

  get inflight(): number {
    return this.#inflight
  }

  get queued(): number {
    return this.#live
  }

  /**
   * Runs `go` now if a slot is free (the caller must leave() when the request is done), or queues
   * it. Returns the waiter (to cancel() if the client goes away), undefined when it ran, or the
   * 429 to answer when the queue is full.
   */
  enter(go: () => void, expire: (err: ProxyError) => void): Waiter | undefined | ProxyError {
    if (this.#live === 0 && this.#canRun()) {
      this.#inflight++
      go()
      return undefined
    }
    if (this.#closed || this.#live >= this.size) return tooManyRequests()
    const w: Waiter = { go, expire, deadline: Date.now() + this.timeoutMs, live: true }
    this.#queue.push(w)
    this.#live++
    this.#arm()
    return w
  }

  /** The client went away while waiting: its place is given up, no connection is used for it. */
  cancel(w: Waiter): void {
    if (!w.live) return
    w.live = false
    this.#live--
  }

  /** A request that entered finished (completed, failed or was aborted): the next live waiter runs. */
  leave(): void {
    this.#inflight--
    this.#drain()
  }

  #drain(): void {
    while (this.#live > 0 && this.#canRun()) {
      const w = this.#next()
      if (w === undefined) break
      this.#inflight++
      w.go()
    }
  }

  /** Answers every waiter (pools are closing); later enter()s are refused. */
  close(): void {
    this.#closed = true
    for (let w = this.#next(); w !== undefined; w = this.#next()) w.expire(tooManyRequests('the front-proxy is closing its connections to this shard'))
    clearTimeout(this.#timer)
  }

  #next(): Waiter | undefined {
    while (this.#head < this.#queue.length) {
      const w = this.#queue[this.#head++]
      if (!w.live) continue
      w.live = false
      this.#live--
      this.#compact()
      return w
    }
    this.#compact()
    return undefined
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = []
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
  }

  /** One timer for the oldest waiter (FIFO: every later one has a later deadline). */
  #arm(): void {
    if (this.#timer !== undefined || this.#live === 0) return
    let first: Waiter | undefined
    for (let i = this.#head; i < this.#queue.length; i++) {
      if (this.#queue[i].live) {
        first = this.#queue[i]
        break
      }
    }
    if (first === undefined) return
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, first.deadline - Date.now()))
    this.#timer.unref()
  }

  #expire(): void {
    this.#timer = undefined
    const now = Date.now()
    while (this.#head < this.#queue.length) {
      const w = this.#queue[this.#head]
      if (w.live && w.deadline > now) break
      this.#head++
      if (!w.live) continue
      w.live = false
      this.#live--
      w.expire(tooManyRequests(`no connection to the shard became free within ${Math.round(this.timeoutMs / 1000)}s; please try again later.`))
    }
    this.#compact()
    this.#arm()
  }
}
