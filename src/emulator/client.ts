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
