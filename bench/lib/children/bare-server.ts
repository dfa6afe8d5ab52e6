// A bare Node TLS server answering every request with the same ≈1 KiB JSON, no proxying: what
// Node itself costs per request for one way of serving (h2-server.bench.ts).
//   bare-server.ts --mode h1|compat|core --cert f --key f
// h1: node:https; compat: node:http2 with a 'request' handler (Http2ServerRequest/Response, what
// the proxy uses); core: node:http2's 'stream' event and stream.respond().
import https from 'node:https'
import http2 from 'node:http2'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { serveChild, childArg } from '../child-side.js'

serveChild(async () => {
  const mode = childArg('mode')
  const tls = { key: readFileSync(childArg('key')), cert: readFileSync(childArg('cert')), allowHTTP1: true }
  const body = Buffer.from(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', data: { payload: 'x'.repeat(1000) } }))
  const head = { 'content-type': 'application/json', 'content-length': body.length }
  let server: https.Server | http2.Http2SecureServer
  if (mode === 'h1') {
    server = https.createServer(tls, (_req, res) => { res.writeHead(200, head); res.end(body) })
  } else if (mode === 'compat') {
    server = http2.createSecureServer(tls, (_req, res) => { res.writeHead(200, head); res.end(body) })
  } else if (mode === 'core') {
    const s = http2.createSecureServer(tls)
    s.on('stream', (stream) => { stream.respond({ ':status': 200, ...head }); stream.end(body) })
    server = s
  } else {
    throw new Error(`--mode: h1, compat or core, got ${mode}`)
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { info: { url: `https://127.0.0.1:${port}/` }, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
})
