// The gate in front of one shard's short-request connections, which it owns (connections.ts):
// at most `limit` connections, one request on each at a time. A request takes an idle connection
// at once; otherwise it waits here, where a waiter whose client has gone (an HTTP/2 reset, a closed
// socket) is dropped before a connection is ever opened or taken for it, and where the wait is
// bounded: a full queue, or a wait past `timeoutMs`, is answered with a retryable 429 at once.
// Opening a connection is decided here and nowhere else: a waiter may open one only after one
// turn of the event loop (a client that resets its request at once is gone by then), only while
// fewer than MAX_CONNECTING handshakes are in progress, and only if its HTTP/2 session is not
// resetting its requests wholesale (resets.ts), judged when the connection would be opened, not
// when the request arrived (a flood's first burst arrives before its first resets are counted):
// a rapid-reset flood costs a few handshakes. Requests of such sessions wait in a queue of their
// own for an idle connection, so they never hold up a request that may open one.
import { ProxyError } from '../errors.js'
import { Fifo } from './fifo.js'
import { DEFAULT_QUEUE_SIZE, DEFAULT_QUEUE_TIMEOUT_MS } from './limits.js'
import { isResetting } from './resets.js'

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
  /** Whether requests of `owner` (their HTTP/2 session) may still make the gate open connections. Default: not resetting (resets.ts). */
  mayConnect?: (owner: object) => boolean
}

/** What the 429 tells clients (client-go waits this long, then retries). */
export const RETRY_AFTER_SECONDS = 1

/** A queued request: `go` runs with a connection, `expire` when it waited too long. */
export interface Waiter<C> {
  readonly go: (c: C) => void
  readonly expire: (err: ProxyError) => void
  readonly deadline: number
  /** The HTTP/2 session the request came on, judged by GateOptions.mayConnect; undefined = always may connect. */
  readonly owner: object | undefined
  live: boolean
}

const notResetting = (owner: object): boolean => !isResetting(owner)

export function tooManyRequests(message = 'Too many requests, please try again later.'): ProxyError {
  return new ProxyError('FP_TOO_MANY_REQUESTS', message, { details: { retryAfterSeconds: RETRY_AFTER_SECONDS } })
}

export class ShardGate<C> {
  readonly limit: number
  readonly size: number
  readonly timeoutMs: number
  readonly #conns: Connections<C>
  readonly #mayConnect: (owner: object) => boolean
  /** Waiters that may open a connection, oldest first. Cancelled ones stay until reached. */
  readonly #queue = new Fifo<Waiter<C>>()
  /** Waiters whose session was found resetting: they take idle connections only, oldest first. */
  readonly #idleOnly = new Fifo<Waiter<C>>()
  /** Waiters still waiting (the queues also hold cancelled ones until they reach a head). */
  #live = 0
  #timer: NodeJS.Timeout | undefined
  #closed = false
  #drainScheduled = false

  constructor(o: GateOptions, conns: Connections<C>) {
    this.limit = o.limit
    this.size = o.size ?? DEFAULT_QUEUE_SIZE
    this.timeoutMs = o.timeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS
    this.#mayConnect = o.mayConnect ?? notResetting
    this.#conns = conns
    conns.onChange = () => this.#drainSoon()
  }

  get queued(): number {
    return this.#live
  }

  /**
   * Runs `go` at once with an idle connection (the caller hands it back with leave()), or queues
   * the request. Returns the waiter (to cancel() if the client goes away), undefined when it ran,
   * or the 429 to answer when the queue is full. `owner`: the request's HTTP/2 session, whose
   * resets decide whether it may cause a new connection (resets.ts).
   */
  enter(go: (c: C) => void, expire: (err: ProxyError) => void, owner?: object): Waiter<C> | undefined | ProxyError {
    if (this.#live === 0) {
      const c = this.#conns.takeIdle()
      if (c !== undefined) {
        go(c)
        return undefined
      }
    }
    if (this.#closed || this.#live >= this.size) return tooManyRequests()
    const w: Waiter<C> = { go, expire, deadline: Date.now() + this.timeoutMs, owner, live: true }
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
    for (let w = this.#oldest(); w !== undefined; w = this.#oldest()) {
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
    // Idle connections go to the oldest live waiter of either queue.
    for (let w = this.#oldest(); w !== undefined; w = this.#oldest()) {
      const c = this.#conns.takeIdle()
      if (c === undefined) break
      this.#take(w)
      w.go(c)
    }
    // New connections only for waiters whose session is not resetting now; one found resetting
    // moves to the idle-only queue, once, instead of blocking those behind it.
    for (let w = head(this.#queue); w !== undefined; w = head(this.#queue)) {
      if (w.owner !== undefined && !this.#mayConnect(w.owner)) {
        this.#idleOnly.push(this.#queue.shift()!)
        continue
      }
      if (this.#conns.size >= this.limit || this.#conns.connecting >= MAX_CONNECTING) break
      this.#take(w)
      w.go(this.#conns.open())
    }
  }

  /** The oldest live waiter of both queues, left in place (cancelled ones before it are dropped). */
  #oldest(): Waiter<C> | undefined {
    const a = head(this.#queue)
    const b = head(this.#idleOnly)
    if (a === undefined) return b
    if (b === undefined) return a
    return a.deadline <= b.deadline ? a : b
  }

  /** Removes `w`, the head of its queue. */
  #take(w: Waiter<C>): void {
    if (this.#queue.peek() === w) this.#queue.shift()
    else this.#idleOnly.shift()
    w.live = false
    this.#live--
  }

  /** One timer for the oldest waiter (FIFO per queue: every later one has a later deadline). */
  #arm(): void {
    if (this.#timer !== undefined || this.#live === 0) return
    const first = this.#queue.find(isLive)
    const other = this.#idleOnly.find(isLive)
    const deadline = Math.min(first?.deadline ?? Infinity, other?.deadline ?? Infinity)
    if (deadline === Infinity) return
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, deadline - Date.now()))
    this.#timer.unref()
  }

  #expire(): void {
    this.#timer = undefined
    const now = Date.now()
    for (let w = this.#oldest(); w !== undefined && w.deadline <= now; w = this.#oldest()) {
      this.#take(w)
      w.expire(tooManyRequests(`no connection to the shard became free within ${Math.round(this.timeoutMs / 1000)}s; please try again later.`))
    }
    this.#arm()
  }
}

const isLive = (w: { live: boolean }): boolean => w.live

/** The oldest live waiter of `q`, left in place; cancelled ones before it are dropped. */
function head<C>(q: Fifo<Waiter<C>>): Waiter<C> | undefined {
  for (let w = q.peek(); w !== undefined; w = q.peek()) {
    if (w.live) return w
    q.shift()
  }
  return undefined
}
