// One shard's HTTP/1.1 connections for short requests, as undici Clients (one connection each),
// handed out by the shard gate (shard-gate.ts) one request at a time. Not undici's Pool: a Pool
// opens a connection whenever it believes none is free, and its belief lags (an idle connection
// stays "busy" until a later 'drain' event), so under a burst of requests it opened connections
// beside idle ones. Here a connection is idle exactly when no request holds it, and a new one is
// opened only when the gate says so.
import { Client } from 'undici'
import type { Connections } from './shard-gate.js'

type ClientOptions = ConstructorParameters<typeof Client>[1]

export class ShortConnections implements Connections<Client> {
  readonly #origin: string
  readonly #options: ClientOptions
  /** Idle and connected; the most recently used last, so a quiet shard keeps few connections warm. */
  #idle: Client[] = []
  readonly #all = new Set<Client>()
  readonly #connected = new WeakSet<Client>()
  #connecting = 0
  #closed = false
  onChange: (() => void) | undefined

  constructor(origin: string, options: ClientOptions) {
    this.#origin = origin
    this.#options = options
  }

  get size(): number {
    return this.#all.size
  }

  get connecting(): number {
    return this.#connecting
  }

  /** Connections established and open. */
  get established(): number {
    let n = 0
    for (const c of this.#all) if (this.#connected.has(c)) n++
    return n
  }

  takeIdle(): Client | undefined {
    return this.#idle.pop()
  }

  open(): Client {
    const c = new Client(this.#origin, this.#options)
    this.#all.add(c)
    this.#connecting++
    let handshaking = true
    const settled = (): void => {
      if (!handshaking) return
      handshaking = false
      this.#connecting--
      this.onChange?.()
    }
    c.on('connect', () => {
      this.#connected.add(c)
      settled()
    })
    c.on('connectionError', () => {
      settled()
      this.#drop(c)
    })
    // Closed by the shard (keep-alive timeout, restart) or by a cancelled request: never reused,
    // so an idle connection handed out is always a live one and reconnects are the gate's decision.
    c.on('disconnect', () => {
      settled()
      this.#drop(c)
    })
    return c
  }

  /** The request on `c` is done (answered, failed or cut): it is idle again, unless it is gone. */
  release(c: Client): void {
    if (this.#closed || !this.#all.has(c) || c.destroyed || c.closed || !this.#connected.has(c)) {
      this.#drop(c)
      return
    }
    this.#idle.push(c)
    this.onChange?.()
  }

  #drop(c: Client): void {
    if (!this.#all.delete(c)) return
    this.#connected.delete(c)
    const i = this.#idle.indexOf(c)
    if (i >= 0) this.#idle.splice(i, 1)
    if (!c.destroyed) void c.destroy().catch(() => undefined)
    this.onChange?.()
  }

  /** Lets running requests finish, then closes every connection. */
  async close(): Promise<void> {
    this.#closed = true
    this.#idle = []
    await Promise.all([...this.#all].map((c) => c.close().catch(() => undefined)))
    this.#all.clear()
  }

  /** Closes every connection now. */
  async destroy(): Promise<void> {
    this.#closed = true
    this.#idle = []
    await Promise.all([...this.#all].map((c) => c.destroy().catch(() => undefined)))
    this.#all.clear()
  }
}
