// HTTP/2 requests on Node's core stream API (src/proxy/h2-stream.ts): which requests take it, and
// that an answer is the same whichever path a request took (the rest keep the compatibility layer).
import t from 'tap'
import type { IncomingHttpHeaders } from 'node:http2'
import { plainStream } from '../../src/proxy/h2-stream.js'
import { h2 } from './fixtures/client.js'
import { startBackend, startProxy, twoShardIndex } from './fixtures/env.js'

const cases: { name: string; headers: IncomingHttpHeaders; plain: boolean }[] = [
  { name: 'a GET', headers: { ':method': 'GET', ':path': '/clusters/root/api' }, plain: true },
  { name: 'a POST with a body', headers: { ':method': 'POST', ':path': '/x', 'content-length': '3' }, plain: true },
  { name: 'HEAD: the core API ends the stream with the headers', headers: { ':method': 'HEAD', ':path': '/x' }, plain: false },
  { name: 'CONNECT', headers: { ':method': 'CONNECT', ':authority': 'a:1' }, plain: false },
  { name: 'Expect: the compatibility layer answers 100-continue or 417', headers: { ':method': 'PUT', ':path': '/x', expect: '100-continue' }, plain: false },
  { name: 'Origin: CORS adds response headers', headers: { ':method': 'GET', ':path': '/x', origin: 'https://a' }, plain: false },
]
for (const c of cases) {
  t.test(`plainStream: ${c.name}`, async (t) => {
    t.equal(plainStream(c.headers), c.plain)
  })
}

/** The answer without what may differ between two requests (date) or is not the proxy's (the echoed request). */
const comparable = (h: IncomingHttpHeaders): IncomingHttpHeaders => {
  const { date: _date, ...rest } = h
  return rest
}

t.test('an HTTP/2 answer is the same on the core path and on the compatibility layer', async (t) => {
  const backend = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: backend.url }], index: twoShardIndex(backend.url, backend.url) })
  const url = `${env.proxy.url}/clusters/root:org/api/v1/namespaces/default/configmaps`
  // Origin sends the request through the compatibility layer (no CORS is configured, so it changes nothing else).
  const viaCompat = { origin: 'https://console.example.com' }

  const core = await h2(url, env.ca)
  const compat = await h2(url, env.ca, { headers: viaCompat })
  t.equal(core.status, 200)
  t.same(comparable(core.headers), comparable(compat.headers), 'the same response headers')
  const seen = backend.seen.map((s) => { const { origin: _o, ...h } = s.headers; return { ...s, headers: h } })
  t.same(seen[0], seen[1], 'the shard saw the same request, but for the Origin header')

  const missing = `${env.proxy.url}/clusters/root:nowhere/api/v1/namespaces`
  const [coreErr, compatErr] = [await h2(missing, env.ca), await h2(missing, env.ca, { headers: viaCompat })]
  t.equal(coreErr.status, compatErr.status)
  t.equal(coreErr.body, compatErr.body, 'the same Status body, byte for byte')
  t.same(comparable(coreErr.headers), comparable(compatErr.headers))

  const posted = await h2(url, env.ca, { method: 'POST', body: '{"kind":"ConfigMap"}', headers: { 'content-type': 'application/json' } })
  t.equal(posted.status, 200)
  t.equal(backend.seen.at(-1)?.body, '{"kind":"ConfigMap"}', 'a body streams from the core stream to the shard')

  const head = await h2(url, env.ca, { method: 'HEAD' })
  t.equal(head.status, 200, 'HEAD, on the compatibility layer')
  t.equal(head.body, '')
})
