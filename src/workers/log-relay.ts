// A worker's log destination: lines go to the primary over IPC, which writes them to stdout
// with its own LogDestination, so one process writes stdout and lines from different workers
// never interleave inside a line (a pipe write over 4 KiB is not atomic across processes).
// Same contract as LogDestination: request lines (writeBatched) go in batches of batchBytes
// or after flushMs, every other line (write) on the next turn; past maxBufferedBytes (gathered
// plus sent but not yet handed to the channel) lines are dropped, counted, and reported.
import { writeSync } from 'node:fs'
import type { ToPrimary } from './messages.js'

export type Send = (m: ToPrimary, done: (err: Error | null) => void) => void

export interface IpcLogOptions {
  batchBytes: number
  flushMs: number
  maxBufferedBytes: number
}

export class IpcLogDestination {
  readonly #send: Send
  readonly #o: IpcLogOptions
  #parts: string[] = []
  #pending = 0
  #inFlight = 0
  #unreported = 0
  #dropped = 0
  #soon = false
  readonly #timer: NodeJS.Timeout
  readonly #onExit = (): void => this.#writeLeftovers()

  constructor(send: Send, o: IpcLogOptions) {
    this.#send = send
    this.#o = o
    this.#timer = setInterval(() => this.#flush(false), o.flushMs)
    this.#timer.unref()
    process.on('exit', this.#onExit)
  }

  write(line: string): boolean {
    if (!this.writeBatched(line)) return false
    if (!this.#soon) {
      this.#soon = true
      setImmediate(() => {
        this.#soon = false
        this.#flush(true)
      })
    }
    return true
  }

  writeBatched(line: string): boolean {
    if (this.#pending + this.#inFlight + line.length > this.#o.maxBufferedBytes) {
      this.#unreported++
      this.#dropped++
      return false
    }
    this.#parts.push(line)
    this.#pending += line.length
    if (this.#pending >= this.#o.batchBytes) this.#flush(false)
    return true
  }

  /** What pino's logger.flush(cb) calls: everything gathered goes now; done once the channel took it. */
  flush(done?: () => void): void {
    this.#flush(true, done)
  }

  /** Hands what is gathered to the channel (urgent: the primary writes it at once); done once the channel took it (or failed). */
  #flush(urgent: boolean, done?: () => void): void {
    if (this.#unreported > 0) {
      this.#parts.unshift(`{"level":40,"time":${Date.now()},"msg":"log lines dropped: the destination could not keep up or failed","dropped":${this.#unreported}}\n`)
      this.#unreported = 0
    }
    if (this.#parts.length === 0) {
      done?.()
      return
    }
    const text = this.#parts.join('')
    this.#parts = []
    this.#pending = 0
    this.#inFlight += text.length
    this.#send({ t: 'log', text, urgent }, (err) => {
      this.#inFlight -= text.length
      if (err !== null) this.#dropped += text.split('\n').length - 1
      done?.()
    })
  }

  /** Lines lost so far. */
  get dropped(): number {
    return this.#dropped
  }

  /** Flushes, then stops the timer; done runs when the channel took the last lines. */
  end(done: () => void): void {
    clearInterval(this.#timer)
    this.#flush(true, () => {
      process.removeListener('exit', this.#onExit)
      done()
    })
  }

  /** A worker that dies cannot send any more: what it still gathered goes to stdout itself. */
  #writeLeftovers(): void {
    if (this.#parts.length === 0) return
    try {
      writeSync(1, this.#parts.join(''))
    } catch {
      // stdout gone: nothing left to tell.
    }
    this.#parts = []
  }
}
