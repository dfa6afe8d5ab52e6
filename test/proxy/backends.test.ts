import t, { type Test } from 'tap'
import http2 from 'node:http2'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import { createCA, issueLoopbackServerCert } from '../../src/pki/index.js'
import { BackendPools, tlsFingerprint } from '../../src/proxy/backends.js'
import type { BackendTLS } from '../../src/proxy/mapping.js'

const WATCHES = 20

/** Opens `n` never-ending responses (like watches) and resolves once all have their headers. */
async function openStreams(pool: Dispatcher, n: number): Promise<Dispatcher.ResponseData[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => pool.request({ path: `/watch/${i}`, method: 'GET' })))
}

async function setup(t: Test, h2: boolean): Promise<{ pool: Dispatcher; connections: () => number }> {
  const ca = await createCA('backends-test-ca')
  const serving = await issueLoopbackServerCert(ca)
  const client = await ca.issue({ commonName: 'kcp-front-proxy', usage: 'client' })
  let connections = 0
  const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{}\n') // headers out; the stream then stays open like a watch
  }
  const server = h2
    ? http2.createSecureServer({ ...serving, allowHTTP1: true, settings: { maxConcurrentStreams: 1000 } }, onRequest as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void)
    : https.createServer(serving, onRequest)
  server.on('secureConnection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const tls: BackendTLS = { ca: ca.cert, cert: client.cert, key: client.key }
  const pools = new BackendPools({ http2: true })
  const pool = pools.get(tlsFingerprint(tls), tls, `https://127.0.0.1:${(server.address() as AddressInfo).port}`)
  t.teardown(async () => {
    await pools.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { pool, connections: () => connections }
}

t.test('with backend HTTP/2, concurrent watches to an h2 shard share one connection instead of one TLS connection each', async (t) => {
  const { pool, connections } = await setup(t, true)
  await openStreams(pool, 1) // first handshake: the pool learns the shard speaks h2
  const all = await openStreams(pool, WATCHES)
  t.equal(all.filter((r) => r.statusCode === 200).length, WATCHES)
  t.equal(connections(), 1)
})

t.test('with backend HTTP/2 allowed but an HTTP/1.1-only shard, a request is never pipelined behind a running watch', async (t) => {
  const { pool, connections } = await setup(t, false)
  await openStreams(pool, 1)
  // Each of these would hang forever if queued behind an open watch on the same h1 socket.
  const all = await openStreams(pool, WATCHES)
  t.equal(all.filter((r) => r.statusCode === 200).length, WATCHES)
  t.equal(connections(), WATCHES + 1)
})
