// A bearer token over 64 KiB is refused before it is parsed, whether in the Authorization header
// or in the WebSocket bearer subprotocol: 401 at the proxy, the shard never asked. Over HTTP/2
// such a header never gets that far: the HTTP/2 layer refuses a header field over 64 KiB.
import t from 'tap'
import { arena, b64url, bearer, forged, h2Headers, marker, rawH2, refused, reviewPath, shardSaw, upgrade } from './arena.js'

const a = await arena(t)
const token = `${b64url({ alg: 'RS256', kid: 'k1' })}.${b64url({ pad: 'x'.repeat(70 * 1024) })}.sig`

t.test('bearer token over 64 KiB is refused before parsing (HTTP/1.1): 401', async (t) => {
  t.match(await refused(t, a, 'HTTP/1.1', { headers: { ...bearer(token), ...forged } }), /too large/)
})

t.test('bearer token over 64 KiB (HTTP/2): the proxy refuses the header block (COMPRESSION_ERROR), the shard is never asked', async (t) => {
  // Node's client would not even send it (64 KiB default): raise its limit so the proxy sees it.
  const s = await rawH2(t, a, { maxSendHeaderBlockLength: 1 << 20 })
  s.on('error', () => undefined)
  const m = marker()
  const stream = s.request({ ':method': 'POST', ':path': `${reviewPath()}?${m}`, 'content-type': 'application/json', ...bearer(token), 'x-remote-user': 'admin', 'x-remote-group': 'system:masters' })
  stream.on('error', () => undefined)
  const status = await new Promise<number | undefined>((resolve) => {
    stream.once('response', (h) => resolve(Number(h[h2Headers.HTTP2_HEADER_STATUS])))
    stream.once('close', () => resolve(undefined))
    stream.end('{}')
  })
  t.equal(status, undefined, 'no response')
  t.equal(stream.rstCode, h2Headers.NGHTTP2_COMPRESSION_ERROR)
  t.notOk(shardSaw(a, m), 'the shard was never asked')
})

t.test('oversized token in the WebSocket bearer subprotocol is refused: 401 at the proxy, the connection closes', async (t) => {
  const r = await upgrade(t, a, {
    path: '/clusters/root:org/api/v1/namespaces',
    protocol: 'websocket',
    headers: { 'Sec-WebSocket-Protocol': `base64url.bearer.authorization.k8s.io.${b64url('x'.repeat(70 * 1024))}`, 'X-Remote-User': 'admin' },
  })
  t.equal(r.status, 401)
  t.match(r.refusals.join('; '), /too large/)
  t.notOk(r.reachedShard, 'the shard was never asked')
  t.ok(r.closed)
})
