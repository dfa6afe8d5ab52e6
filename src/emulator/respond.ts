// Response writers. Everything the emulator answers is JSON except health probes and the mux's plain 404.
import type { ServerResponse } from 'node:http'
import type { KubeStatus } from '../errors.js'

export function sendJSON(res: ServerResponse, code: number, body: string, contentType = 'application/json'): void {
  res.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache, private' })
  res.end(body)
}

export function sendStatus(res: ServerResponse, s: KubeStatus): void {
  sendJSON(res, s.code, JSON.stringify(s))
}

export function sendText(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** The apiserver's not-found handler for unknown paths: plain text, not a Status. */
export function sendPlain404(res: ServerResponse): void {
  sendText(res, 404, '404 page not found\n')
}
