// Fair queuing across flows (in the spirit of Kubernetes API Priority and Fairness): each flow
// (a user, or a user in one workspace: flows.ts) has a FIFO of its own, and the flows take turns,
// one request each, round-robin. A flow that sends 500 requests therefore waits behind itself,
// and a flow that sends one is served after at most one request of every other waiting flow.
// Items leave either at their turn (shift) or when their client goes away or they time out
// (forget): a forgotten item stays in its flow's FIFO, dead, until it reaches the head, so
// leaving costs O(1) and no search.
import { Fifo } from '../fifo.js'

/** One flow's waiting items. Created when its first item arrives, dropped once none is waiting. */
export interface Flow<T> {
  readonly key: string
  readonly items: Fifo<T>
  /** Items still waiting (the FIFO also holds forgotten ones until they reach its head). */
  waiting: number
}

/** What the queue needs of an item: the flow holding it while it waits. */
export interface FairItem {
  /** Set by push(), cleared when the item leaves the queue (its turn, or forget()). */
  flow: object | undefined
}

export class FairQueue<T extends FairItem> {
  readonly #flows = new Map<string, Flow<T>>()
  /** Flows with waiting items, in turn order; a flow is in it once. */
  readonly #ring = new Fifo<Flow<T>>()
  #waiting = 0

  /** Items waiting in every flow. */
  get length(): number {
    return this.#waiting
  }

  /** Flows with items waiting. */
  get flows(): number {
    return this.#flows.size
  }

  /** Items of `key` waiting. */
  waitingIn(key: string): number {
    return this.#flows.get(key)?.waiting ?? 0
  }

  /** Queues `item` at the back of its flow; a flow new to the queue takes its turn after those waiting. */
  push(key: string, item: T): void {
    let f = this.#flows.get(key)
    if (f === undefined) {
      f = { key, items: new Fifo<T>(), waiting: 0 }
      this.#flows.set(key, f)
      this.#ring.push(f)
    }
    f.items.push(item)
    f.waiting++
    this.#waiting++
    item.flow = f
  }

  /** The item whose turn is next, left in place; undefined when none waits. */
  peek(): T | undefined {
    for (let f = this.#ring.peek(); f !== undefined; f = this.#ring.peek()) {
      const item = liveHead(f)
      if (item !== undefined) return item
      // Every item of the flow was forgotten: it leaves the turn order.
      this.#ring.shift()
      this.#flows.delete(f.key)
    }
    return undefined
  }

  /** Removes and returns the item whose turn is next; its flow's next turn comes after every other waiting flow's. */
  shift(): T | undefined {
    const item = this.peek()
    if (item === undefined) return undefined
    const f = this.#ring.shift()!
    f.items.shift()
    this.#leave(item, f)
    if (f.waiting > 0) this.#ring.push(f)
    else this.#flows.delete(f.key)
    return item
  }

  /** `item` stops waiting (its client left, it timed out, it moved elsewhere). Idempotent. */
  forget(item: T): void {
    const f = item.flow
    // Only push() sets it, always to one of this queue's flows.
    if (f !== undefined) this.#leave(item, f as Flow<T>)
  }

  /**
   * Removes and returns the newest waiting item of the flow with the most waiting, if that is
   * more than `than`: the full queue's room for another flow is taken from the longest one.
   */
  evictNewest(than: number): T | undefined {
    let victim: Flow<T> | undefined
    for (const f of this.#flows.values()) if (f.waiting > (victim?.waiting ?? than)) victim = f
    if (victim === undefined) return undefined
    // waiting > 0, so a live item is in its FIFO (forgotten ones may follow it).
    for (let item = victim.items.pop(); item !== undefined; item = victim.items.pop()) {
      if (item.flow !== victim) continue
      this.#leave(item, victim)
      return item
    }
    return undefined
  }

  /** The oldest waiting item of each flow (each flow's FIFO is in arrival order), forgotten ones dropped. */
  *heads(): IterableIterator<T> {
    for (const f of this.#flows.values()) {
      const item = liveHead(f)
      if (item !== undefined) yield item
    }
  }

  /** Removes, from the head of every flow, the items `due` accepts (each FIFO is in arrival order); returns them. */
  takeWhile(due: (item: T) => boolean): T[] {
    const out: T[] = []
    for (const f of this.#flows.values()) {
      for (let item = liveHead(f); item !== undefined && due(item); item = liveHead(f)) {
        f.items.shift()
        this.#leave(item, f)
        out.push(item)
      }
    }
    return out
  }

  #leave(item: T, f: Flow<T>): void {
    item.flow = undefined
    f.waiting--
    this.#waiting--
  }
}

/** The first waiting item of `f`; forgotten ones before it are dropped. */
function liveHead<T extends FairItem>(f: Flow<T>): T | undefined {
  for (let item = f.items.peek(); item !== undefined; item = f.items.peek()) {
    if (item.flow === f) return item
    f.items.shift()
  }
  return undefined
}
