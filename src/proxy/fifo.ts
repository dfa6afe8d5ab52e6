// A first-in first-out queue with a moving head: Array#shift() on a long array is O(n), and the
// queues here (requests waiting for a turn or for a shard connection) reach thousands in a burst.
// The head's slot is cleared when taken, so a taken item is not kept alive by the array.

/** Taken slots kept before the array is compacted (and only while they are most of it). */
const COMPACT_AFTER = 1024

export class Fifo<T> {
  #items: (T | undefined)[] = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  push(item: T): void {
    this.#items.push(item)
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    } else if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** Removes and returns the newest item. */
  pop(): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items.pop()
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    }
    return item
  }

  /** The first item from the head that `pred` accepts, without removing anything; undefined if none. */
  find(pred: (item: T) => boolean): T | undefined {
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T
      if (pred(item)) return item
    }
    return undefined
  }
}
