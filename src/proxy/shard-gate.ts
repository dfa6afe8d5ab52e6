// The gate in front of one shard's short-request connections, which it owns (connections.ts):
// at most `limit` connections, one request on each at a time. A request takes an idle connection
// at once; otherwise it waits here, where a waiter whose client has gone (an HTTP/2 reset, a closed
// socket) is dropped before a connection is ever opened or taken for it, and where the wait is
// bounded: a full queue, or a wait past `timeoutMs`, is answered with a retryable 429 at once.
// Opening a connection is decided here and nowhere else: a waiter may open one only after one
// turn of the event loop (a client that resets its request at once is gone by then), only while
// fewer than MAX_CONNECTING handshakes are in progress, and only if its HTTP/2 session is not
// resetting its requests wholesale (resets.ts): a rapid-reset flood costs a few handshakes.
import { ProxyError } from '../errors.js'

/** What the gate needs of the connections it hands out. */
export interface Connections<C> {
  /** An idle connected connection, removed from the idle set; undefined when there is none. */
  takeIdle(): C | undefined
  /** A new connection (its handshake starts with its first request). */
  open(): C
  /** Every connection: idle, busy and connecting. */
  readonly size: number
  /** Handshakes in progress. */
  readonly connecting: number
  /** Called whenever an idle connection or handshake capacity may have appeared (the gate drains on the next turn). */
  onChange: (() => void) | undefined
}

/** Handshakes to one shard in progress at once for short requests. */
export const MAX_CONNECTING = 4

export interface GateOptions {
  /** Connections at most (requests in flight at once). */
  limit: number
  /** Waiters beyond them; one more is answered 429. Default 1000. */
  size?: number
  /** Longest wait for a connection before a 429. Default 10 s. */
  timeoutMs?: number
}

export const DEFAULT_QUEUE_SIZE = 1000
export const DEFAULT_QUEUE_TIMEOUT_MS = 10_000
/** What the 429 tells clients (client-go waits this long, then retries). */
export const RETRY_AFTER_SECONDS = 1

/** A queued request: `go` runs with a connection, `expire` when it waited too long. */
export interface Waiter<C> {
  readonly go: (c: C) => void
  readonly expire: (err: ProxyError) => void
  readonly deadline: number
  /** May make the pool open a connection; false = only an idle one will do (a session resetting its requests). */
  readonly mayConnect: boolean
  live: boolean
}

export function tooManyRequests(message = 'Too many requests, please try again later.'): ProxyError {
  return new ProxyError('FP_TOO_MANY_REQUESTS', message, { details: { retryAfterSeconds: RETRY_AFTER_SECONDS } })
}

export class ShardGate<C> {
  readonly limit: number
  readonly size: number
  readonly timeoutMs: number
  readonly #conns: Connections<C>
  /** FIFO with a moving head: shift() on a long array is O(n). Cancelled waiters stay until reached. */
  #queue: Waiter<C>[] = []
  #head = 0
  /** Waiters still waiting (the queue also holds cancelled ones until they reach the head). */
  #live = 0
  #timer: NodeJS.Timeout | undefined
  #closed = false
  #drainScheduled = false

  constructor(o: GateOptions, conns: Connections<C>) {
    this.limit = o.limit
    this.size = o.size ?? DEFAULT_QUEUE_SIZE
    this.timeoutMs = o.timeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS
    this.#conns = conns
    conns.onChange = () => this.#drainSoon()
  }

  get queued(): number {
    return this.#live
  }

  /**
   * Runs `go` at once with an idle connection (the caller hands it back with leave()), or queues
   * the request. Returns the waiter (to cancel() if the client goes away), undefined when it ran,
   * or the 429 to answer when the queue is full. `mayConnect` false: this request may only use a
   * connection that is already idle, never cause a new one (resets.ts).
   */
  enter(go: (c: C) => void, expire: (err: ProxyError) => void, mayConnect = true): Waiter<C> | undefined | ProxyError {
    if (this.#live === 0) {
      const c = this.#conns.takeIdle()
      if (c !== undefined) {
        go(c)
        return undefined
      }
    }
    if (this.#closed || this.#live >= this.size) return tooManyRequests()
    const w: Waiter<C> = { go, expire, deadline: Date.now() + this.timeoutMs, mayConnect, live: true }
    this.#queue.push(w)
    this.#live++
    this.#arm()
    // It would cost a handshake (or must wait anyway): look again next turn, when the waiters
    // whose clients reset them in the meantime have cancelled.
    this.#drainSoon()
    return w
  }

  /** The client went away while waiting: its place is given up, no connection is used for it. */
  cancel(w: Waiter<C>): void {
    if (!w.live) return
    w.live = false
    this.#live--
  }

  /** Answers every waiter (pools are closing); later enter()s are refused. */
  close(): void {
    this.#closed = true
    for (let w = this.#peek(); w !== undefined; w = this.#peek()) {
      this.#take(w)
      w.expire(tooManyRequests('the front-proxy is closing its connections to this shard'))
    }
    clearTimeout(this.#timer)
  }

  /** Drains on the next turn, once. */
  #drainSoon(): void {
    if (this.#drainScheduled || this.#live === 0) return
    this.#drainScheduled = true
    setImmediate(this.#scheduledDrain)
  }

  readonly #scheduledDrain = (): void => {
    this.#drainScheduled = false
    this.#drain()
  }

  #drain(): void {
    // FIFO: the oldest live waiter runs first, or nobody does.
    for (let w = this.#peek(); w !== undefined; w = this.#peek()) {
      const c = this.#conns.takeIdle() ?? (w.mayConnect && this.#conns.size < this.limit && this.#conns.connecting < MAX_CONNECTING ? this.#conns.open() : undefined)
      if (c === undefined) break
      this.#take(w)
      w.go(c)
    }
  }

  /** The oldest live waiter, left in place (cancelled ones before it are dropped). */
  #peek(): Waiter<C> | undefined {
    while (this.#head < this.#queue.length) {
      const w = this.#queue[this.#head]
      if (w.live) return w
      this.#head++
    }
    this.#compact()
    return undefined
  }

  /** Removes the waiter #peek() returned. */
  #take(w: Waiter<C>): void {
    this.#head++
    w.live = false
    this.#live--
    this.#compact()
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
    let first: Waiter<C> | undefined
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
