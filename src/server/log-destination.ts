// Where log lines go: a file descriptor (stdout) or a file, written in batches off the
// request path. We do not use pino.destination (sonic-boom) here: its asynchronous write
// measures the byte length of the whole pending batch on every line, ~4.7 µs per line
// against ~0.6 µs for this one (bench/README.md, proxy results). At 3,000 requests/s that is
// 1.5 % of a core spent on counting bytes.
//
// Two kinds of lines: request lines (writeBatched) wait for a full batch or the flush interval;
// every other line (startup, "serving", warnings, errors, shutdown: write(), what pino calls)
// is written on the next turn of the event loop, with whatever request lines are gathered.
//
// Guarantees: lines leave in order; at most one write is in flight; partial writes and
// EAGAIN (a full non-blocking stdout pipe) are retried; everything still buffered is
// written synchronously when the process exits. A destination that cannot keep up never
// makes the proxy wait or grow without bound: past maxBufferedBytes new lines are dropped
// and counted, and the count is logged with the next batch written. A write that
// fails (closed pipe, full disk) loses its batch, counted the same way.
import { EventEmitter } from 'node:events'
import { closeSync, openSync, write as fsWrite, writeSync } from 'node:fs'

export interface LogDestinationOptions {
  /** Characters gathered before a write is started. */
  batchBytes: number
  /** Longest a gathered line waits before it is written anyway. */
  flushMs: number
  /** Lines beyond this many buffered characters are dropped (counted, then reported). */
  maxBufferedBytes: number
}

const RETRY_MS = 10
/** Exit-time retries of a full pipe: bounded, so a stuck reader cannot hold the exit forever. */
const EXIT_RETRIES = 200

export class LogDestination extends EventEmitter {
  readonly #fd: number
  readonly #ownsFd: boolean
  readonly #o: LogDestinationOptions
  #parts: string[] = []
  #pending = 0
  /** A batch is being written asynchronously (at most one at a time). */
  #writing = false
  #inFlightLines = 0
  #unreported = 0
  #droppedTotal = 0
  #ending = false
  #closed = false
  readonly #timer: NodeJS.Timeout
  readonly #onExit = (): void => this.flushSync()
  #soon = false
  readonly #flushSoon = (): void => {
    this.#soon = false
    this.flush()
  }

  constructor(dest: number | string, o: LogDestinationOptions) {
    super()
    this.#o = o
    this.#ownsFd = typeof dest === 'string'
    this.#fd = typeof dest === 'string' ? openSync(dest, 'a') : dest
    this.#timer = setInterval(() => this.flush(), o.flushMs)
    this.#timer.unref()
    process.on('exit', this.#onExit)
  }

  /** pino's DestinationStream: a line written on the next event-loop turn. Never blocks, never throws. */
  write(line: string): boolean {
    if (!this.writeBatched(line)) return false
    if (!this.#soon) {
      this.#soon = true
      setImmediate(this.#flushSoon)
    }
    return true
  }

  /** A high-volume line (one per request): written with the next batch, at most flushMs late. */
  writeBatched(line: string): boolean {
    if (this.#closed) return false
    if (this.#pending + line.length > this.#o.maxBufferedBytes) {
      this.#lost(1)
      return false
    }
    this.#parts.push(line)
    this.#pending += line.length
    if (this.#pending >= this.#o.batchBytes) this.flush()
    return true
  }

  /** Starts writing what is gathered (no-op while a write is in flight; its completion continues). */
  flush(): void {
    if (this.#writing || this.#closed) return
    const buf = this.#take()
    if (buf === undefined) {
      if (this.#ending) this.#close()
      return
    }
    this.#writeAsync(buf)
  }

  /** Writes everything now, synchronously (process exit). */
  flushSync(): void {
    if (this.#closed) return
    // A batch already handed to an asynchronous write may still land (possibly after these
    // lines) or not; writing it again here could duplicate it, so only what is still gathered
    // is written. At most one batch (≤ batchBytes) is at stake.
    let buf = this.#take()
    let retries = 0
    while (buf !== undefined && buf.length > 0) {
      try {
        const n = writeSync(this.#fd, buf)
        buf = buf.subarray(n)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || ++retries > EXIT_RETRIES) return
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_MS)
      }
    }
  }

  /** Writes what is buffered, then closes (a file it opened) and emits 'close'. */
  end(): void {
    if (this.#ending) return
    this.#ending = true
    this.flush()
  }

  /** Lines lost so far (destination too slow, or failing), over the destination's life. */
  get dropped(): number {
    return this.#droppedTotal
  }

  #lost(lines: number): void {
    this.#unreported += lines
    this.#droppedTotal += lines
  }

  #take(): Buffer | undefined {
    if (this.#unreported > 0) this.#reportDropped()
    if (this.#parts.length === 0) return undefined
    const buf = Buffer.from(this.#parts.length === 1 ? this.#parts[0] : this.#parts.join(''))
    this.#inFlightLines = this.#parts.length
    this.#parts = []
    this.#pending = 0
    return buf
  }

  #reportDropped(): void {
    const line = `{"level":40,"time":${Date.now()},"msg":"log lines dropped: the destination could not keep up or failed","dropped":${this.#unreported}}\n`
    this.#unreported = 0
    // First in the batch: it is about lines that would have come before these.
    this.#parts.unshift(line)
    this.#pending += line.length
  }

  #writeAsync(buf: Buffer): void {
    this.#writing = true
    fsWrite(this.#fd, buf, 0, buf.length, null, (err, n) => {
      if (err !== null) {
        if (err.code === 'EAGAIN') {
          setTimeout(() => this.#writeAsync(buf), RETRY_MS).unref()
          return
        }
        // The destination is gone (closed pipe, full disk): the batch is lost and counted; the
        // proxy keeps serving. Not an 'error' event: with no listener that would end the process.
        // When ending, what is still gathered would fail the same way: close instead of retrying.
        this.#writing = false
        this.#lost(this.#inFlightLines)
        if (this.#ending) this.#close()
        return
      }
      if (n < buf.length) {
        this.#writeAsync(buf.subarray(n))
        return
      }
      this.#writing = false
      if (this.#pending >= this.#o.batchBytes || this.#ending) this.flush()
    })
  }

  #close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    process.removeListener('exit', this.#onExit)
    if (this.#ownsFd) closeSync(this.#fd)
    this.emit('close')
  }
}
