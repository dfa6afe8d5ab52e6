import t from 'tap'
import type { IncomingHttpHeaders } from 'node:http'
import { forwardRequestHeaders, responseHeaders, serializeRequestHead } from '../../src/proxy/headers.js'

t.test('request headers for the backend: hop-by-hop and Connection-listed headers dropped, X-Forwarded-For appended', async (t) => {
  const cases: [string, IncomingHttpHeaders, string | undefined, Record<string, unknown>][] = [
    ['plain keep-alive request', { host: 'p', connection: 'keep-alive', accept: '*/*' }, '10.0.0.1', { host: 'p', accept: '*/*', 'x-forwarded-for': '10.0.0.1' }],
    ['Connection: close', { host: 'p', connection: 'close' }, undefined, { host: 'p' }],
    ['capitalised Keep-Alive', { host: 'p', connection: 'Keep-Alive', 'keep-alive': 'timeout=5' }, undefined, { host: 'p' }],
    ['a header listed in Connection is dropped', { host: 'p', connection: 'X-Hop, keep-alive', 'x-hop': 'bye', 'x-end': 'kept' }, undefined, { host: 'p', 'x-end': 'kept' }],
    ['every hop-by-hop header', { host: 'p', te: 'trailers', trailer: 'x', 'transfer-encoding': 'chunked', upgrade: 'h2c', 'proxy-authorization': 'Basic x', 'proxy-connection': 'keep-alive', expect: '100-continue', 'http2-settings': 'AAA' }, undefined, { host: 'p' }],
    ['Authorization is forwarded', { host: 'p', authorization: 'Bearer t' }, undefined, { host: 'p', authorization: 'Bearer t' }],
    ['an existing X-Forwarded-For chain grows', { host: 'p', 'x-forwarded-for': '1.1.1.1' }, '2.2.2.2', { host: 'p', 'x-forwarded-for': '1.1.1.1, 2.2.2.2' }],
    ['HTTP/2: :authority becomes Host, pseudo-headers dropped', { ':authority': 'proxy:443', ':path': '/x', ':method': 'GET', accept: 'a' }, undefined, { host: 'proxy:443', accept: 'a' }],
  ]
  for (const [name, inbound, addr, want] of cases) t.same(forwardRequestHeaders(inbound, addr), want, name)
})

t.test('response headers from the backend: hop-by-hop and Connection-listed dropped, repeated names kept apart, names lowercased', async (t) => {
  const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p, 'latin1'))
  const cases: [string, Buffer[], Record<string, string | string[]>][] = [
    ['keep-alive response', raw('Content-Type', 'application/json', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Content-Length', '2'), { 'content-type': 'application/json', 'content-length': '2' }],
    ['Connection: close', raw('Connection', 'close', 'X-A', '1'), { 'x-a': '1' }],
    ['a listed header is dropped wherever it appears', raw('X-Secret', 's', 'Connection', 'x-secret', 'X-Keep', 'k'), { 'x-keep': 'k' }],
    ['repeated names become an array', raw('Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Set-Cookie', 'c=3'), { 'set-cookie': ['a=1', 'b=2', 'c=3'] }],
    ['Transfer-Encoding is the server’s business, not the backend’s', raw('Transfer-Encoding', 'chunked', 'X-A', '1'), { 'x-a': '1' }],
  ]
  for (const [name, r, want] of cases) t.same(responseHeaders(r), want, name)
})

t.test('a raw upgrade request head lists every value of every header', async (t) => {
  t.equal(serializeRequestHead('GET', '/x', { host: 'h', 'x-remote-group': ['a', 'b'], skipped: undefined }), 'GET /x HTTP/1.1\r\nhost: h\r\nx-remote-group: a\r\nx-remote-group: b\r\n\r\n')
})
