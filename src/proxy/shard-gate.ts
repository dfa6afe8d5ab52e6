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
// Fair sharing: the queue is fair across flows (fairness/fair-queue.ts): each flow (a user, or a
// user in a workspace) waits in a FIFO of its own, and the flows take turns, so a tenant with
// hundreds of waiting requests delays another by at most one request per waiting flow. Any flow
// may fill the queue while it has it to itself (fair queuing changes nothing until tenants
// compete); once it is full, a flow with fewer than `flowQueueLength` waiting takes the place of
// the newest waiter of the longest flow, which gets the 429, so a tenant's backlog can never
// keep another out. With one flow (every request's flow '', the default) it is one FIFO.
import { ProxyError } from '../errors.js'
import { Fifo } from './fifo.js'
import { FairQueue, type FairItem } from './fairness/fair-queue.js'
import { unobservedStats, type FlowControlStats, type RejectReason } from './fairness/stats.js'
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
  /** The request on `c` is done: `c` is idle again (or dropped, when it is gone). */
  release(c: C): void
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
  /**
   * Waiters of one flow that a full queue still makes room for, by refusing the newest waiter of
   * the longest flow; past it, the flow's own request is refused. Default: unbounded (fair queuing
   * off gives every request one flow, so no other flow is there to give up room).
   */
  flowQueueLength?: number
  /** Where the gate counts executing, queued and rejected requests and waits (metrics). */
  stats?: FlowControlStats
}

/** What the 429 tells clients (client-go waits this long, then retries). */
export const RETRY_AFTER_SECONDS = 1

/** A queued request: `go` runs with a connection, `expire` when it waited too long. */
export interface Waiter<C> extends FairItem {
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

const FLOW_QUEUE_FULL = 'Too many requests of this client are waiting for the shard, please try again later.'

export class ShardGate<C> {
  readonly limit: number
  readonly size: number
  readonly timeoutMs: number
  readonly flowQueueLength: number
  readonly #conns: Connections<C>
  readonly #mayConnect: (owner: object) => boolean
  readonly #stats: FlowControlStats
  /** Waiters that may open a connection, fair across flows, each flow oldest first. */
  readonly #queue = new FairQueue<Waiter<C>>()
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
    this.flowQueueLength = o.flowQueueLength ?? Infinity
    this.#mayConnect = o.mayConnect ?? notResetting
    this.#stats = o.stats ?? unobservedStats()
    this.#conns = conns
    conns.onChange = () => this.#drainSoon()
  }

  get queued(): number {
    return this.#live
  }

  /**
   * Runs `go` at once with an idle connection (the caller hands it back with release()), or
   * queues the request in `flow`. Returns the waiter (to cancel() if the client goes away),
   * undefined when it ran, or the 429 to answer when the queue is full and no room is made for
   * it. `owner`: the request's HTTP/2 session, whose resets decide whether it may cause a new
   * connection (resets.ts). `flowLimit`: the waiters of its flow a full queue still makes room
   * for (a mapping may set its own).
   */
  enter(go: (c: C) => void, expire: (err: ProxyError) => void, owner?: object, flow = '', flowLimit = this.flowQueueLength): Waiter<C> | undefined | ProxyError {
    if (this.#live === 0) {
      const c = this.#conns.takeIdle()
      if (c !== undefined) {
        this.#run(go, c, 0)
        return undefined
      }
    }
    if (this.#closed) return this.#reject('closing', tooManyRequests())
    if (this.#live >= this.size) {
      const refused = this.#makeRoom(flow, flowLimit)
      if (refused !== undefined) return refused
    }
    const w: Waiter<C> = { go, expire, deadline: Date.now() + this.timeoutMs, owner, live: true, flow: undefined }
    this.#queue.push(flow, w)
    this.#live++
    this.#stats.queued++
    this.#arm()
    // It would cost a handshake (or must wait anyway): look again next turn, when the waiters
    // whose clients reset them in the meantime have cancelled.
    this.#drainSoon()
    return w
  }

  /** The request that ran on `c` is done with it. */
  release(c: C): void {
    this.#stats.executing--
    this.#conns.release(c)
  }

  /** The client went away while waiting: its place is given up, no connection is used for it. */
  cancel(w: Waiter<C>): void {
    if (!w.live) return
    this.#take(w)
    this.#left(w, false)
    this.#stats.rejected('cancelled')
  }

  /** Answers every waiter (pools are closing); later enter()s are refused. */
  close(): void {
    this.#closed = true
    for (let w = this.#next(); w !== undefined; w = this.#next()) {
      this.#take(w)
      this.#left(w, false)
      w.expire(this.#reject('closing', tooManyRequests('the front-proxy is closing its connections to this shard')))
    }
    clearTimeout(this.#timer)
  }

  /**
   * The queue is full. A flow with fewer than `flowLimit` waiting takes the place of the newest
   * waiter of the flow with the most (more than it would have), which is answered 429 instead;
   * returns the 429 for the arriving request when no room is made.
   */
  #makeRoom(flow: string, flowLimit: number): ProxyError | undefined {
    const mine = this.#queue.waitingIn(flow)
    if (mine >= flowLimit) return this.#reject('flow-queue-full', tooManyRequests(FLOW_QUEUE_FULL))
    const victim = this.#queue.evictNewest(mine + 1)
    if (victim === undefined) return this.#reject('queue-full', tooManyRequests())
    // Already out of its flow (as the expired ones of #expire): #take does the rest of the bookkeeping.
    this.#take(victim)
    this.#left(victim, false)
    victim.expire(this.#reject('flow-queue-full', tooManyRequests(FLOW_QUEUE_FULL)))
    return undefined
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
    // Idle connections go to the next waiter: the fair queue's, or an older one of the idle-only queue.
    for (let w = this.#next(); w !== undefined; w = this.#next()) {
      const c = this.#conns.takeIdle()
      if (c === undefined) break
      this.#take(w)
      this.#run(w.go, c, this.#waitedMs(w))
    }
    // New connections only for waiters whose session is not resetting now; one found resetting
    // moves to the idle-only queue, once, instead of blocking those behind it.
    for (let w = this.#queue.peek(); w !== undefined; w = this.#queue.peek()) {
      if (w.owner !== undefined && !this.#mayConnect(w.owner)) {
        this.#queue.forget(w)
        this.#idleOnly.push(w)
        continue
      }
      if (this.#conns.size >= this.limit || this.#conns.connecting >= MAX_CONNECTING) break
      this.#take(w)
      this.#run(w.go, this.#conns.open(), this.#waitedMs(w))
    }
  }

  #run(go: (c: C) => void, c: C, waitedMs: number): void {
    this.#stats.executing++
    this.#stats.waited(waitedMs / 1000, true)
    go(c)
  }

  #waitedMs(w: Waiter<C>): number {
    return Date.now() - (w.deadline - this.timeoutMs)
  }

  #reject(reason: RejectReason, err: ProxyError): ProxyError {
    this.#stats.rejected(reason)
    return err
  }

  /** A waiter left without a connection (`executed` false) after waiting. */
  #left(w: Waiter<C>, executed: boolean): void {
    this.#stats.waited(this.#waitedMs(w) / 1000, executed)
  }

  /** The next waiter to serve: the fair queue's turn, unless the idle-only queue's head is older. */
  #next(): Waiter<C> | undefined {
    const a = this.#queue.peek()
    const b = head(this.#idleOnly)
    if (a === undefined) return b
    if (b === undefined) return a
    return a.deadline <= b.deadline ? a : b
  }

  /** `w` stops waiting; taken at its turn when it is the fair queue's next (so its flow's turn passes). */
  #take(w: Waiter<C>): void {
    if (w.flow !== undefined && this.#queue.peek() === w) this.#queue.shift()
    else this.#queue.forget(w)
    w.live = false
    this.#live--
    this.#stats.queued--
  }

  /** One timer for the oldest waiter (the head of some flow, or of the idle-only queue). */
  #arm(): void {
    if (this.#timer !== undefined || this.#live === 0) return
    let deadline = head(this.#idleOnly)?.deadline ?? Infinity
    for (const w of this.#queue.heads()) if (w.deadline < deadline) deadline = w.deadline
    if (deadline === Infinity) return
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, deadline - Date.now()))
    this.#timer.unref()
  }

  #expire(): void {
    this.#timer = undefined
    const now = Date.now()
    // Each flow's FIFO and the idle-only queue are in deadline order: only their heads can be due.
    const expired = this.#queue.takeWhile((w) => w.deadline <= now)
    for (const w of expired) this.#take(w)
    for (let w = head(this.#idleOnly); w !== undefined && w.deadline <= now; w = head(this.#idleOnly)) {
      this.#take(w)
      expired.push(w)
    }
    const message = `no connection to the shard became free within ${Math.round(this.timeoutMs / 1000)}s; please try again later.`
    for (const w of expired) {
      this.#left(w, false)
      w.expire(this.#reject('time-out', tooManyRequests(message)))
    }
    this.#arm()
  }
}

/** The oldest live waiter of `q`, left in place; cancelled ones before it are dropped. */
function head<C>(q: Fifo<Waiter<C>>): Waiter<C> | undefined {
  for (let w = q.peek(); w !== undefined; w = q.peek()) {
    if (w.live) return w
    q.shift()
  }
  return undefined
}
