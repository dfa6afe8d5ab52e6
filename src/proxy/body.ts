// Request bodies, read BEFORE a shard connection is taken. A client that announces 1,000 bytes
// and sends one holds its own socket and a little memory here — never one of the shard's
// connections, which every other workspace on that shard shares. Bodies up to `bufferBytes`
// (every Kubernetes object fits: etcd refuses values over 1.5 MiB) are collected and sent in one
// write; a larger one streams once its first `bufferBytes` are in. All buffered bytes together
// stay under `budgetBytes`; past it, bodies stream. Whatever the size, the whole body must arrive
// within `timeoutMs` of the request's start, else the client gets a 408 and what it held is freed.
import type { ServerResponse } from 'node:http'
import { ProxyError } from '../errors.js'
import type { Exchange } from './exchange.js'
import { DEFAULT_BODY_BUDGET_BYTES, DEFAULT_BODY_BUFFER_BYTES, DEFAULT_BODY_TIMEOUT_MS } from './limits.js'

export interface BodyLimits {
  /** Largest body read completely before forwarding. */
  bufferBytes: number
  /** All bodies being read at once, together. */
  budgetBytes: number
  /** The whole body must arrive within this, from the request's start. */
  timeoutMs: number
}

export const DEFAULT_BODY_LIMITS: Readonly<BodyLimits> = { bufferBytes: DEFAULT_BODY_BUFFER_BYTES, budgetBytes: DEFAULT_BODY_BUDGET_BYTES, timeoutMs: DEFAULT_BODY_TIMEOUT_MS }

/** null = no body; a Buffer = read completely; an iterable = the first part read, the rest streamed. */
export type Body = null | Buffer | AsyncIterable<Buffer>

export function hasBody(ex: Exchange): boolean {
  const h = ex.req.headers
  const cl = h['content-length']
  if (cl !== undefined) return cl !== '0'
  if (h['transfer-encoding'] !== undefined) return true
  // HTTP/2: a body is present unless the HEADERS frame ended the stream.
  const stream = (ex.req as { stream?: { endAfterHeaders?: boolean } }).stream
  return stream !== undefined && stream.endAfterHeaders === false
}

/**
 * A streamed body whose first part was buffered. Each chunk is counted as undici takes it to
 * write: the request-bytes metric counts what was sent to the shard (the forwarder counts a
 * body sent whole, forward.ts).
 */
async function* prefixThenRest(ex: Exchange, prefix: Buffer[], rest: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  for (const c of prefix) {
    ex.bytesIn += c.length
    yield c
  }
  for await (const c of rest) {
    ex.bytesIn += c.length
    yield c
  }
}

export class BodyReader {
  readonly limits: BodyLimits
  /** Bytes buffered by requests still reading. */
  #held = 0

  constructor(limits: Partial<BodyLimits> = {}) {
    this.limits = { ...DEFAULT_BODY_LIMITS, ...limits }
  }

  get held(): number {
    return this.#held
  }

  /**
   * Calls `ready(body)` once the body can be sent (at once when there is none). `expired(err)`
   * runs if the deadline passes first — before `ready` (nothing was sent), or after it while a
   * streamed remainder is still arriving (the caller cancels the upstream request).
   */
  read(ex: Exchange, ready: (body: Body) => void, expired: (err: ProxyError) => void): void {
    if (!hasBody(ex)) {
      ready(null)
      return
    }
    const req = ex.req
    const { bufferBytes, budgetBytes, timeoutMs } = this.limits
    const left = timeoutMs - Number(process.hrtime.bigint() - ex.start) / 1e6
    let phase: 'buffering' | 'streaming' | 'done' = 'buffering'
    let held = 0
    const chunks: Buffer[] = []
    const release = (): void => {
      this.#held -= held
      held = 0
    }
    const finish = (): void => {
      phase = 'done'
      clearTimeout(timer)
      release()
      req.off('data', onData)
      req.off('end', onEnd)
      ex.res.off('close', finish)
    }
    const timer = setTimeout(() => {
      if (phase === 'done') return
      finish()
      // The unread rest of the body makes the connection unusable for another request.
      if (req.httpVersionMajor === 1 && !ex.res.headersSent) (ex.res as ServerResponse).setHeader('connection', 'close')
      expired(new ProxyError('FP_REQUEST_TIMEOUT', `the request body was not received within ${Math.round(timeoutMs / 1000)}s`))
    }, Math.max(0, left))
    const stream = (): void => {
      phase = 'streaming'
      release()
      req.off('data', onData)
      req.pause()
      // The deadline keeps running until the last byte: 'end' clears it.
      const rest = req as unknown as AsyncIterable<Buffer>
      if (chunks.length > 0) {
        ready(prefixThenRest(ex, chunks.splice(0), rest))
        return
      }
      // Handed to undici as the stream itself. It stays paused until undici reads it to send, so
      // this sees exactly the bytes sent (Node drops 'data' listeners before discarding a body).
      req.on('data', (c: Buffer) => (ex.bytesIn += c.length))
      ready(rest)
    }
    const onData = (c: Buffer): void => {
      held += c.length
      this.#held += c.length
      chunks.push(c)
      if (held > bufferBytes || this.#held > budgetBytes) stream()
    }
    const onEnd = (): void => {
      if (phase === 'buffering') {
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
        finish()
        ready(body)
      } else finish()
    }
    // A client that goes away frees everything at once.
    ex.res.once('close', finish)
    req.on('end', onEnd)
    const cl = Number(req.headers['content-length'])
    if (cl > bufferBytes || this.#held + (cl || 0) > budgetBytes) {
      stream()
      return
    }
    req.on('data', onData)
  }
}
