// Response writers. Everything the emulator answers is JSON except health probes and the mux's plain 404.
import type { ServerResponse } from 'node:http'
import { serializeStatus, type KubeStatus } from '../errors.js'

export function sendJSON(res: ServerResponse, code: number, body: string, contentType = 'application/json'): void {
  res.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache, private' })
  res.end(body)
}

/** Items per write when a list is streamed (a few hundred KiB of JSON). */
export const STREAM_BATCH = 500

/**
 * A large JSON array body written in batches as it is built, like the apiserver's streaming list
 * encoding: the client receives the first bytes at once instead of after the whole (tens of MB) string
 * was joined and encoded, and memory holds one batch, not the body. Respects backpressure; stops when
 * the client goes away.
 */
export async function streamJSONArray(res: ServerResponse, head: string, items: readonly { json: string }[], tail: string): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' })
  let chunk = head
  for (let i = 0; i < items.length; i += STREAM_BATCH) {
    const end = Math.min(items.length, i + STREAM_BATCH)
    for (let j = i; j < end; j++) chunk += j === 0 ? items[j].json : `,${items[j].json}`
    if (res.destroyed) return
    if (!res.write(chunk)) await drained(res)
    chunk = ''
  }
  if (!res.destroyed) res.end(chunk + tail)
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

export function sendStatus(res: ServerResponse, s: KubeStatus): void {
  sendJSON(res, s.code, serializeStatus(s))
}

export function sendText(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** The apiserver's not-found handler for unknown paths: plain text, not a Status. */
export function sendPlain404(res: ServerResponse): void {
  sendText(res, 404, '404 page not found\n')
}
