// The listener hands plain HTTP/2 requests to the proxy on Node's core stream API and the rest
// (and HTTP/1.1) on the objects they always had: real TLS, real clients, the request's class seen.
import t from 'tap'
import type { AddressInfo, Socket } from 'node:net'
import { Http2ServerRequest, type IncomingHttpHeaders, type ServerHttp2Session } from 'node:http2'
import { IncomingMessage } from 'node:http'
import pino from 'pino'
import { createCA, issueLoopbackServerCert } from '../../src/pki/index.js'
import { createListener, type AnyReq, type AnyRes } from '../../src/server/listener.js'
import { H2StreamRequest } from '../../src/proxy/h2-stream.js'
import { writeHead } from '../../src/proxy/exchange.js'
import { DEFAULT_CONNECTION_LIMITS } from '../../src/server/connection-limits.js'
import { h1, h2 } from '../proxy/fixtures/client.js'

t.test('plain HTTP/2 requests arrive on the core stream API; the others, and HTTP/1.1, on the compatibility objects', async (t) => {
  const ca = await createCA('listener-test')
  const serving = await issueLoopbackServerCert(ca)
  const kinds: string[] = []
  const onRequest = (req: AnyReq, res: AnyRes): void => {
    kinds.push(req instanceof H2StreamRequest ? 'core' : req instanceof Http2ServerRequest ? 'compat' : req instanceof IncomingMessage ? 'h1' : 'unknown')
    writeHead(res, 200, { 'content-type': 'text/plain' })
    res.end(req.url ?? '')
  }
  const connections = { sockets: new Set<Socket>(), sessions: new Set<ServerHttp2Session>() }
  const l = createListener({
    tls: { cert: serving.cert, key: serving.key, requestCert: false, rejectUnauthorized: false },
    http2: true, maxStreams: 100, limits: DEFAULT_CONNECTION_LIMITS, logger: pino({ level: 'silent' }),
    onRequest, onUpgrade: () => undefined, connections,
    coreStream: (h: IncomingHttpHeaders) => h['x-compat'] === undefined,
  })
  await new Promise<void>((resolve) => l.server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    l.close()
    for (const s of connections.sockets) s.destroy()
    return new Promise<void>((resolve) => l.server.close(() => resolve()))
  })
  const url = `https://127.0.0.1:${(l.server.address() as AddressInfo).port}/clusters/root/x`
  const answers = [await h2(url, ca.cert), await h2(url, ca.cert, { headers: { 'x-compat': '1' } }), await h1(url, ca.cert)]
  t.same(kinds, ['core', 'compat', 'h1'])
  t.same(answers.map((a) => [a.status, a.body]), Array(3).fill([200, '/clusters/root/x']), 'each answered through writeHead()')
})
