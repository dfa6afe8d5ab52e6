// Slowloris on request bodies: requests that announce a body and send it a byte at a time. They
// must not hold the shard's connections (which every workspace on that shard shares), and each
// must end at the body deadline. When a shard's connections and queue ARE full, the answer is a
// retryable 429 at once, not a hang.
import t from 'tap'
import type { TLSSocket } from 'node:tls'
import type { ClientHttp2Stream } from 'node:http2'
import { arena, rawH2, rawTLS, readUntilClose, type Arena } from './arena.js'
import { h1 } from '../proxy/fixtures/client.js'
import { eventually } from '../fixtures/eventually.js'

const cmPath = (ws: string): string => `/clusters/${ws}/api/v1/namespaces/default/configmaps`
const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'slow-' }, data: { a: 'b'.repeat(900) } })

async function slowH1(t: Parameters<typeof rawTLS>[0], a: Arena): Promise<{ socket: TLSSocket; answer: Promise<{ text: string; closed: boolean }> }> {
  const socket = await rawTLS(t, a)
  const answer = readUntilClose(socket, 30_000)
  socket.write(`POST ${cmPath('root:org')} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(cm)}\r\n\r\n{`)
  return { socket, answer }
}

function slowH2Stream(s: Awaited<ReturnType<typeof rawH2>>): { stream: ClientHttp2Stream; status: Promise<number> } {
  const stream = s.request({ ':method': 'POST', ':path': cmPath('root:org'), authorization: 'Bearer admin-token', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(cm)) }, { endStream: false })
  stream.write('{')
  stream.on('error', () => undefined)
  const status = new Promise<number>((resolve) => {
    stream.once('response', (h) => resolve(Number(h[':status'])))
    stream.once('close', () => resolve(0))
  })
  stream.resume()
  return { stream, status }
}

t.test('slowloris bodies (HTTP/1.1 and HTTP/2) hold no shard connection: every other workspace on the shard is served', async (t) => {
  const a = await arena(t, { input: { extra: { backendMaxConnections: 4, requestBodyTimeoutSeconds: 4 } } })
  await a.topo.createWorkspace('root', 'other', { shard: 'alpha' })
  const alpha = a.topo.shards.get('alpha')!
  // 10 HTTP/1.1 connections and 2 HTTP/2 connections × 20 streams, each sent one byte of its body:
  // ten times the shard's 4 connections.
  const h1s = await Promise.all(Array.from({ length: 10 }, () => slowH1(t, a)))
  const sessions = await Promise.all([rawH2(t, a), rawH2(t, a)])
  const h2s = sessions.flatMap((s) => Array.from({ length: 20 }, () => slowH2Stream(s)))
  const requestsBefore = alpha.stats.requests
  const r = await h1(`${a.proxy.url}${cmPath('root:other')}`, a.ca, { headers: { authorization: 'Bearer admin-token' } })
  t.equal(r.status, 200, 'a request for another workspace on the same shard is answered while 50 bodies trickle')
  t.equal(alpha.stats.requests - requestsBefore, 1, 'none of the slow requests reached the shard')
  const posted = await h1(`${a.proxy.url}${cmPath('root:other')}`, a.ca, { method: 'POST', body: cm, headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' } })
  t.equal(posted.status, 201, 'and a whole body is forwarded as usual')
  // At the deadline every slow request is answered 408 and what it held is freed.
  for (const { answer } of h1s) {
    const got = await answer
    t.match(got.text, /^HTTP\/1\.1 408 /, 'HTTP/1.1: 408')
    t.match(got.text, /"reason":"Timeout"/)
    t.ok(got.closed, 'and its connection closed (the unread rest of the body makes it unusable)')
  }
  t.same([...new Set(await Promise.all(h2s.map((s) => s.status)))], [408], 'HTTP/2: every stream 408')
  for (const s of sessions) s.destroy()
})

t.test('a slow body too large to read first streams, but still ends at the deadline and frees its connection', async (t) => {
  const a = await arena(t, { input: { extra: { backendMaxConnections: 1, requestBodyTimeoutSeconds: 2, requestBodyBufferBytes: 16 } } })
  const slow = await slowH1(t, a)
  // The only connection is taken by the streaming body; a second request waits for it.
  await eventually('the slow body to reach the shard', () => a.topo.shards.get('alpha')!.stats.requests > 0)
  const got = await slow.answer
  t.match(got.text, /^HTTP\/1\.1 408 /)
  const after = await h1(`${a.proxy.url}${cmPath('root:org')}`, a.ca, { headers: { authorization: 'Bearer admin-token' } })
  t.equal(after.status, 200, 'the shard connection is free again')
})

t.test('when a shard\'s connections and queue are full, requests get 429 with Retry-After at once, not a hang', async (t) => {
  const a = await arena(t, { input: { extra: { backendMaxConnections: 1, backendQueueSize: 2, backendQueueTimeoutSeconds: 30 } } })
  const alpha = a.topo.shards.get('alpha')!
  alpha.setLatency(1500)
  t.teardown(() => alpha.setLatency(0))
  const answers = await Promise.all(Array.from({ length: 8 }, () => h1(`${a.proxy.url}${cmPath('root:org')}`, a.ca, { headers: { authorization: 'Bearer admin-token' } })))
  const statuses = answers.map((r) => r.status).sort()
  t.same(statuses, [200, 200, 200, 429, 429, 429, 429, 429], 'one in flight and two queued are served; five are refused')
  const refused = answers.find((r) => r.status === 429)!
  t.equal(refused.headers['retry-after'], '1')
  t.match(JSON.parse(refused.body), { kind: 'Status', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 1 } })
})
