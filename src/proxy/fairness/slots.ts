// The shard gate's connections for a transport that multiplexes (HTTP/2): no connection is
// handed out, only a slot, `size` of them, each the same route to the shared pool. The gate
// never opens one (size is always its limit), so its queue, fairness, deadlines and 429s apply
// as they do to the bounded HTTP/1.1 connections.
import type { Connections } from '../shard-gate.js'

export class StreamSlots<T> implements Connections<T> {
  readonly size: number
  readonly #token: T
  #busy = 0
  onChange: (() => void) | undefined

  /** `size` must be the gate's limit; `token` is what every request runs with. */
  constructor(size: number, token: T) {
    this.size = size
    this.#token = token
  }

  get connecting(): number {
    return 0
  }

  get busy(): number {
    return this.#busy
  }

  takeIdle(): T | undefined {
    if (this.#busy >= this.size) return undefined
    this.#busy++
    return this.#token
  }

  open(): T {
    // The gate opens a connection only while fewer than `limit` exist; there are always `limit`.
    throw new Error('StreamSlots cannot open a connection: their size is the gate limit')
  }

  release(): void {
    this.#busy--
    this.onChange?.()
  }
}
