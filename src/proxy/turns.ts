// At most PER_TURN requests start per turn of the event loop; the rest start in later turns, in
// arrival order. Why: Node 20's libuv (1.45 on) accepts ONE new connection per turn, so how long a
// turn lasts is how long each connection waiting in the kernel's accept queue waits for the one
// ahead of it. Starting in a turn every request read in it made turns grow with the number of
// busy clients: with 500 HTTP/2 clients (h2load -c500 -m1) a turn took 20 ms and more, ~45
// connections were accepted a second, and clients still connecting waited seconds for their TLS
// handshake while those already connected were served (issue 15). Bounded turns keep a busy proxy
// accepting. A request whose client went away while it waited (an HTTP/2 reset) is passed over
// without counting, so a reset flood cannot use up the turn.

import { Fifo } from './fifo.js'

/** Requests started per turn: a few milliseconds of work, so the next accept is never far off. */
export const PER_TURN = 16

export class TurnQueue<T> {
  readonly #start: (item: T) => boolean
  readonly #perTurn: number
  readonly #queue = new Fifo<T>()
  #scheduled = false

  /** `start` runs an item; false = it was already gone (nothing started, nothing counted). */
  constructor(start: (item: T) => boolean, perTurn = PER_TURN) {
    this.#start = start
    this.#perTurn = perTurn
  }

  get size(): number {
    return this.#queue.length
  }

  /** Starts `item` on a later turn (this turn's check phase at the earliest, as setImmediate). */
  push(item: T): void {
    this.#queue.push(item)
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(this.#run)
  }

  readonly #run = (): void => {
    this.#scheduled = false
    let started = 0
    while (started < this.#perTurn && this.#queue.length > 0) {
      if (this.#start(this.#queue.shift() as T)) started++
    }
    // Scheduled from the check phase, so it runs after the next poll: one more accept first.
    if (this.#queue.length > 0) this.#schedule()
  }
}
