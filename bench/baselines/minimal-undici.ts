// Baseline: the leanest proxy Node can be, node:https + undici's dispatcher, written for
// speed and nothing else (the "minimal node:http + undici proxy"). It forwards
// every path to one shard over mTLS: no workspace lookup, no header filtering beyond
// hop-by-hop, no metrics, no logging, no error bodies. It shows how close Node's own TLS
// and HTTP cost lets any Node proxy get to the naive fastify one.
// Run as a benchmark child (bench/lib/child.ts):
//   minimal-undici.ts --upstream https://127.0.0.1:port --ca ca.crt --cert proxy-client.crt
//     --key proxy-client.key --serving-cert tls.crt --serving-key tls.key
import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { Pool, type Dispatcher } from 'undici'
import { serveChild, childArg } from '../lib/child-side.js'

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer'])

class Handler implements Dispatcher.DispatchHandler {
  constructor(private readonly res: ServerResponse) {}
  onConnect(abort: () => void): void {
    // A client that leaves cancels the upstream request.
    this.res.once('close', () => {
      if (!this.res.writableEnded) abort()
    })
  }
  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    // Backpressure: onData returning false pauses the upstream socket until the client drains.
    this.res.on('drain', resume)
    const headers: string[] = []
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i].toString('latin1')
      if (!HOP.has(k.toLowerCase())) headers.push(k, raw[i + 1].toString('latin1'))
    }
    this.res.writeHead(status, headers)
    return true
  }
  onData(chunk: Buffer): boolean {
    return this.res.write(chunk)
  }
  onComplete(): void {
    this.res.end()
  }
  onError(): void {
    if (!this.res.headersSent) this.res.writeHead(502)
    this.res.end()
  }
}

serveChild<{ url: string }>(async () => {
  const read = (name: string): string => readFileSync(childArg(name), 'utf8')
  const pool = new Pool(childArg('upstream'), { connect: { ca: read('ca'), cert: read('cert'), key: read('key') }, connections: 64 })
  const server = createServer({ cert: read('serving-cert'), key: read('serving-key') }, (req, res) => {
    const headers: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k) && k !== 'host') headers[k] = v
    pool.dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req }, new Handler(res))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    info: { url: `https://127.0.0.1:${port}` },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await pool.close()
    },
  }
})
