import t from 'tap'
import { forwardRequestHeaders, responseHeaders, serializeRequestHead } from '../../src/proxy/headers.js'

t.test('request headers for the backend: hop-by-hop and Connection-listed headers dropped, X-Forwarded-For appended', async (t) => {
  // Raw (name, value) lists as Node's parser hands them over: case as sent, repeats kept.
  const cases: [string, string[], string | undefined, Record<string, unknown>][] = [
    ['plain keep-alive request', ['Host', 'p', 'Connection', 'keep-alive', 'Accept', '*/*'], '10.0.0.1', { host: 'p', accept: '*/*', 'x-forwarded-for': '10.0.0.1' }],
    ['Connection: close', ['host', 'p', 'connection', 'close'], undefined, { host: 'p' }],
    ['capitalised Keep-Alive', ['host', 'p', 'Connection', 'Keep-Alive', 'Keep-Alive', 'timeout=5'], undefined, { host: 'p' }],
    ['a header listed in Connection is dropped', ['host', 'p', 'connection', 'X-Hop, keep-alive', 'x-hop', 'bye', 'x-end', 'kept'], undefined, { host: 'p', 'x-end': 'kept' }],
    ['a header listed in a second Connection line is dropped too', ['host', 'p', 'Connection', 'keep-alive', 'Connection', 'X-Hop', 'X-Hop', 'bye'], undefined, { host: 'p' }],
    ['every hop-by-hop header', ['host', 'p', 'te', 'trailers', 'trailer', 'x', 'transfer-encoding', 'chunked', 'upgrade', 'h2c', 'proxy-authorization', 'Basic x', 'proxy-connection', 'keep-alive', 'expect', '100-continue', 'http2-settings', 'AAA'], undefined, { host: 'p' }],
    ['Authorization is forwarded', ['host', 'p', 'Authorization', 'Bearer t'], undefined, { host: 'p', authorization: 'Bearer t' }],
    ['an existing X-Forwarded-For chain grows', ['host', 'p', 'x-forwarded-for', '1.1.1.1'], '2.2.2.2', { host: 'p', 'x-forwarded-for': '1.1.1.1, 2.2.2.2' }],
    ['two X-Forwarded-For lines become one chain', ['host', 'p', 'X-Forwarded-For', '1.1.1.1', 'X-Forwarded-For', '3.3.3.3'], '2.2.2.2', { host: 'p', 'x-forwarded-for': '1.1.1.1, 3.3.3.3, 2.2.2.2' }],
    ['HTTP/2: :authority becomes Host, pseudo-headers dropped', [':path', '/x', ':method', 'GET', ':authority', 'proxy:443', 'accept', 'a'], undefined, { host: 'proxy:443', accept: 'a' }],
    ['repeated headers stay separate fields (kubectl --as-group twice)', ['host', 'p', 'Impersonate-User', 'alice', 'Impersonate-Group', 'system:kcp:admin', 'Impersonate-Group', 'team-x'], undefined, { host: 'p', 'impersonate-user': 'alice', 'impersonate-group': ['system:kcp:admin', 'team-x'] }],
    ['a value with a comma is not split', ['host', 'p', 'Impersonate-Group', 'a, b'], undefined, { host: 'p', 'impersonate-group': 'a, b' }],
    ['three repeats stay three', ['host', 'p', 'Impersonate-Extra-Scopes', 'x', 'impersonate-extra-scopes', 'y', 'IMPERSONATE-EXTRA-SCOPES', 'z'], undefined, { host: 'p', 'impersonate-extra-scopes': ['x', 'y', 'z'] }],
    ['HTTP/2 cookie fields are joined with "; "', [':authority', 'p', 'cookie', 'a=1', 'cookie', 'b=2'], undefined, { host: 'p', cookie: 'a=1; b=2' }],
    ['a repeated Host keeps the first', ['Host', 'p', 'Host', 'q'], undefined, { host: 'p' }],
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
