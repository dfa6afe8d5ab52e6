// Slowloris on headers and idle connections: a client that never finishes its request headers,
// or opens a connection and says nothing, is cut off after the headers timeout (upstream: 32 s),
// and an idle connection after the idle timeout (90 s) — on HTTP/1.1 and HTTP/2 alike. A
// connection with a request in flight (a quiet watch) is never idle. Limits are shortened here.
import t from 'tap'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { constants } from 'node:http2'
import { arena, rawH2, rawTLS, readUntilClose, type Arena } from './arena.js'
import { h1 } from '../proxy/fixtures/client.js'
import { elapse, eventually } from '../fixtures/eventually.js'

const connectionLimits = { headersTimeoutMs: 600, idleTimeoutMs: 1200 }
/** Generous bound on "was cut off": many times the limit, far below the minutes of the old behaviour. */
const CUT_WITHIN_MS = 15_000

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9)
  h.writeUIntBE(payload.length, 0, 3)
  h[3] = type
  h[4] = flags
  h.writeUInt32BE(stream, 5)
  return Buffer.concat([h, payload])
}
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')
const SETTINGS = frame(0x4, 0, 0)
/** HEADERS on stream 1 with `:method: GET` (HPACK static index 2) and no END_HEADERS flag. */
const HEADERS_UNFINISHED = frame(0x1, 0, 1, Buffer.from([0x82]))

function rawH2Socket(t: Parameters<typeof rawTLS>[0], a: Arena): Promise<TLSSocket> {
  const u = new URL(a.proxy.url)
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca: a.ca, ALPNProtocols: ['h2'] }, () => resolve(s))
    s.once('error', reject)
    t.teardown(() => s.destroy())
  })
}

for (const disableHttp2Serving of [false, true]) {
  const server = disableHttp2Serving ? 'HTTP/1.1-only server' : 'HTTP/2 server, HTTP/1.1 by ALPN'
  t.test(`slowloris headers (${server}): unfinished request headers get a 408 Status and the connection closes`, async (t) => {
    const a = await arena(t, { input: { secureServing: { disableHttp2Serving }, connectionLimits } })
    const s = await rawTLS(t, a)
    s.write('GET /clusters/root:org/api HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    const got = await readUntilClose(s, CUT_WITHIN_MS)
    t.ok(got.closed, 'closed')
    t.match(got.text, /^HTTP\/1\.1 408 Request Timeout\r\n/)
    t.match(got.text, /"kind":"Status".*"reason":"Timeout".*"code":408/)
  })

  t.test(`idle HTTP/1.1 keep-alive connections (${server}) are closed after the idle timeout`, async (t) => {
    const a = await arena(t, { input: { secureServing: { disableHttp2Serving }, connectionLimits } })
    const s = await rawTLS(t, a)
    const got = readUntilClose(s, CUT_WITHIN_MS)
    s.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n')
    const r = await got
    t.match(r.text, /^HTTP\/1\.1 200 /)
    t.ok(r.closed, 'closed once idle')
  })
}

t.test('HTTP/2: a session that sends only the preface is closed after the headers timeout', async (t) => {
  const a = await arena(t, { input: { connectionLimits } })
  const s = await rawH2Socket(t, a)
  s.write(PREFACE)
  t.ok((await readUntilClose(s, CUT_WITHIN_MS)).closed)
})

t.test('HTTP/2: HEADERS without END_HEADERS (never finished) is closed after the headers timeout', async (t) => {
  const a = await arena(t, { input: { connectionLimits } })
  const s = await rawH2Socket(t, a)
  s.write(Buffer.concat([PREFACE, SETTINGS, HEADERS_UNFINISHED]))
  t.ok((await readUntilClose(s, CUT_WITHIN_MS)).closed)
})

t.test('HTTP/2: an idle session is closed (GOAWAY) after the idle timeout; one with a quiet watch is not', async (t) => {
  const a = await arena(t, { input: { connectionLimits } })
  const idle = await rawH2(t, a)
  const r = idle.request({ ':path': '/livez' })
  r.resume()
  await new Promise((resolve) => r.once('end', resolve))
  const watching = await rawH2(t, a)
  const watch = watching.request({ ':path': '/clusters/root:org/api/v1/namespaces/default/configmaps?watch=true', authorization: 'Bearer admin-token' })
  let events = ''
  watch.setEncoding('utf8')
  watch.on('data', (c: string) => (events += c))
  await new Promise((resolve) => watch.once('response', resolve))
  const quietSince = Date.now()
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CUT_WITHIN_MS)
    idle.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  t.ok(idle.destroyed || idle.closed, 'the idle session was closed')
  // The watch's session has now been silent for twice the idle timeout.
  await elapse(Math.max(0, quietSince + 2 * connectionLimits.idleTimeoutMs - Date.now())) // the silence is the behaviour under test
  t.notOk(watching.destroyed || watching.closed, 'the session with a watch open stays, though it was as quiet for twice as long')
  const made = await h1(`${a.proxy.url}/clusters/root:org/api/v1/namespaces/default/configmaps`, a.ca, {
    method: 'POST', headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-idle' } }),
  })
  t.equal(made.status, 201)
  await eventually('the watch event', () => events.includes('after-idle'))
  watch.close(constants.NGHTTP2_NO_ERROR)
})
