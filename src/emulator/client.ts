// A minimal HTTPS client for harnesses and tests: one request to a shard (or a proxy in front of it) with a
// token, a client certificate and/or extra headers, answered as status + headers + body text.
import { request as httpsRequest } from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'
import type { KeyPair } from './types.js'

export interface RequestOptions {
  method?: string
  /** PEM CA that verifies the server (the topology's serving CA). */
  ca: string
  token?: string
  cert?: KeyPair
  headers?: Record<string, string | string[]>
  body?: string | Buffer
  contentType?: string
  timeoutMs?: number
}

export interface Response {
  status: number
  headers: IncomingHttpHeaders
  body: string
  json<T = unknown>(): T
}

export function requestURL(url: string, o: RequestOptions): Promise<Response> {
  const u = new URL(url)
  const headers: Record<string, string | string[]> = { ...(o.headers ?? {}) }
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`
  if (o.contentType !== undefined) headers['content-type'] = o.contentType
  // Node sends DELETE bodies neither chunked nor sized unless told: always size them.
  if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body))
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path: u.pathname + u.search, method: o.method ?? 'GET',
      ca: o.ca, headers, agent: false, ...(o.cert ? { cert: o.cert.cert, key: o.cert.key } : {}),
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T })
      })
      res.on('error', reject)
    })
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error(`request to ${u.pathname} timed out`)))
    req.on('error', reject)
    req.end(o.body)
  })
}

export interface WatchEvent {
  type: string
  object: Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } }
}

export interface WatchStream {
  status: number
  headers: IncomingHttpHeaders
  /** The next event, or undefined once the stream ended; rejects after `timeoutMs` without one. */
  next(timeoutMs?: number): Promise<WatchEvent | undefined>
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>
  close(): void
}

/** Opens a watch (`?watch=true` must be in the URL) and yields one parsed event per JSON line. */
export function openWatch(url: string, o: RequestOptions): Promise<WatchStream> {
  const u = new URL(url)
  const headers: Record<string, string | string[]> = { ...(o.headers ?? {}) }
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path: u.pathname + u.search, method: 'GET',
      ca: o.ca, headers, agent: false, ...(o.cert ? { cert: o.cert.cert, key: o.cert.key } : {}),
    }, (res) => {
      const queue: WatchEvent[] = []
      const waiters: ((e: WatchEvent | undefined) => void)[] = []
      let done = false
      let buf = ''
      let endResolve = (): void => {}
      const ended = new Promise<void>((r) => (endResolve = r))
      const finish = (): void => {
        done = true
        endResolve()
        for (const w of waiters.splice(0)) w(undefined)
      }
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8')
        let i: number
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i)
          buf = buf.slice(i + 1)
          if (line.trim() === '') continue
          const ev = JSON.parse(line) as WatchEvent
          const w = waiters.shift()
          if (w) w(ev)
          else queue.push(ev)
        }
      })
      res.on('end', finish)
      res.on('close', finish)
      res.on('error', finish)
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        ended,
        close: () => req.destroy(),
        next: (timeoutMs = 5000) => {
          const q = queue.shift()
          if (q !== undefined) return Promise.resolve(q)
          if (done) return Promise.resolve(undefined)
          return new Promise((res2, rej) => {
            const timer = setTimeout(() => {
              const idx = waiters.indexOf(w)
              if (idx >= 0) waiters.splice(idx, 1)
              rej(new Error(`no watch event within ${timeoutMs} ms`))
            }, timeoutMs)
            const w = (e: WatchEvent | undefined): void => {
              clearTimeout(timer)
              res2(e)
            }
            waiters.push(w)
          })
        },
      })
    })
    req.on('error', reject)
    req.end()
  })
}
