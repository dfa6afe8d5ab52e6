// Newline-delimited JSON decoding for watch streams. Splitting happens on raw bytes:
// 0x0A never occurs inside a multi-byte UTF-8 sequence, so a code point split across
// chunks is only decoded once its line is complete. Pending chunks are kept in a list
// and joined once per line, so a multi-megabyte object costs linear, not quadratic, copying.

export class NdjsonError extends Error {
  constructor(
    message: string,
    /** 1-based line number within the stream. */
    readonly line: number,
  ) {
    super(message)
    this.name = 'NdjsonError'
  }
}

export interface NdjsonOptions {
  /** A line longer than this is an error (protects memory). Default 64 MiB. */
  maxLineBytes?: number
}

export class NdjsonDecoder {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private line = 0
  private readonly maxLineBytes: number

  constructor(opts: NdjsonOptions = {}) {
    this.maxLineBytes = opts.maxLineBytes ?? 64 * 1024 * 1024
  }

  /**
   * Feeds a chunk and calls `onValue` for each complete value in it, in order. Throws NdjsonError
   * on a malformed or oversized line, after the values before it were delivered.
   */
  push(chunk: Uint8Array, onValue: (value: unknown) => void): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let start = 0
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      const piece = buf.subarray(start, nl)
      start = nl + 1
      let lineBuf: Buffer
      if (this.pendingBytes === 0) {
        lineBuf = piece
      } else {
        this.pending.push(piece)
        lineBuf = Buffer.concat(this.pending, this.pendingBytes + piece.length)
        this.pending = []
        this.pendingBytes = 0
      }
      this.checkSize(lineBuf.length)
      this.decodeLine(lineBuf, onValue)
    }
    if (start < buf.length) {
      const rest = buf.subarray(start)
      this.checkSize(this.pendingBytes + rest.length)
      this.pending.push(rest)
      this.pendingBytes += rest.length
    }
  }

  /** Ends the stream: a final line without a trailing newline is still decoded. */
  end(onValue: (value: unknown) => void): void {
    if (this.pendingBytes === 0) return
    const lineBuf = Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    this.decodeLine(lineBuf, onValue)
  }

  private checkSize(n: number): void {
    if (n > this.maxLineBytes) {
      throw new NdjsonError(`line ${this.line + 1} exceeds ${this.maxLineBytes} bytes`, this.line + 1)
    }
  }

  private decodeLine(lineBuf: Buffer, onValue: (value: unknown) => void): void {
    this.line++
    const text = lineBuf.toString('utf8')
    if (text.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      const snippet = text.length > 80 ? text.slice(0, 80) + '…' : text
      throw new NdjsonError(`malformed JSON on line ${this.line}: ${(err as Error).message} (${JSON.stringify(snippet)})`, this.line)
    }
    // Outside the try: an exception thrown by the consumer is not a JSON error.
    onValue(value)
  }
}

/** Decodes an async byte stream into JSON values; rejects with NdjsonError on bad input. */
export async function* decodeNdjson(source: AsyncIterable<Uint8Array>, opts?: NdjsonOptions): AsyncGenerator<unknown> {
  const dec = new NdjsonDecoder(opts)
  const batch: unknown[] = []
  const collect = (v: unknown) => batch.push(v)
  for await (const chunk of source) {
    try {
      dec.push(chunk, collect)
    } finally {
      // Values before a bad line are still handed out, then the error surfaces.
      yield* batch.splice(0)
    }
  }
  dec.end(collect)
  yield* batch
}
