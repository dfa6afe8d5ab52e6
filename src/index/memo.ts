// Memo of resolved paths. On a large index every path segment is a cache miss
// in RAM (a Map probe, the edge, the child node), so a repeated path costs far
// less as one Map.get. Correctness is simple: the index clears the memo on every
// state change, so an entry is never older than the state it was computed from.
// Only found paths are kept (clients cannot fill it with garbage), and it is
// bounded: when full it is cleared wholesale, which is cheap and keeps no LRU
// bookkeeping on the hot path.
import type { LookupResult } from './types.js'

/**
 * A fresh flat copy of an ASCII string. A path sliced out of a request URL keeps
 * the whole URL alive in V8; a memo key must not, or a client appending a long
 * query string to a valid path could pin ~8 KiB per entry. Only validated paths
 * (ASCII by grammar) reach here, so the latin1 round trip is exact.
 */
export function ownCopy(ascii: string): string {
  return Buffer.from(ascii, 'latin1').toString('latin1')
}

export class LookupMemo {
  private readonly entries = new Map<string, Readonly<LookupResult>>()

  constructor(private readonly limit: number) {}

  get(path: string): Readonly<LookupResult> | undefined {
    return this.entries.get(path)
  }

  /** Remembers a frozen copy of `result` and returns it (the copy even when the memo is disabled). */
  set(path: string, result: LookupResult): Readonly<LookupResult> {
    // A copy, frozen: the caller built `result`, and every later hit hands the
    // same object out to callers that must not be able to change it.
    // The cluster name is copied too, so that reading it touches memory allocated
    // with the entry rather than a string somewhere in a 100k-node graph (one
    // cache miss less per request on a large index).
    const entry = Object.freeze({ ...result, cluster: ownCopy(result.cluster) })
    if (this.limit <= 0) return entry
    if (this.entries.size >= this.limit) this.entries.clear()
    this.entries.set(ownCopy(path), entry)
    return entry
  }

  clear(): void {
    if (this.entries.size > 0) this.entries.clear()
  }

  get size(): number {
    return this.entries.size
  }
}
