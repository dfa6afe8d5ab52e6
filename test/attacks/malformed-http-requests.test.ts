// Malformed and oversized HTTP/1.1 requests: what the parser refuses is answered with a Kubernetes
// Status carrying the right code (not Node's bare 400 or fastify's {"error":...}), the connection
// is closed, and nothing of the request reaches a shard. Request smuggling (a body framed two ways)
// is refused outright. Headers up to 1 MiB (upstream's MaxHeaderBytes) are fine, beyond is 431.
import t, { type Test } from 'tap'
import { arena, rawTLS, readUntilClose, whoami, type Arena } from './arena.js'

async function send(t: Test, a: Arena, raw: string): Promise<{ text: string; closed: boolean }> {
  const s = await rawTLS(t, a)
  const got = readUntilClose(s, 10_000)
  s.write(raw)
  return got
}

function statusOf(text: string): { code: number; body: Record<string, unknown> | undefined } {
  const code = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0)
  const i = text.indexOf('\r\n\r\n')
  let body: Record<string, unknown> | undefined
  try {
    body = JSON.parse(text.slice(i + 4)) as Record<string, unknown>
  } catch {
    body = undefined
  }
  return { code, body }
}

for (const disableHttp2Serving of [false, true]) {
  const server = disableHttp2Serving ? 'HTTP/1.1-only server' : 'HTTP/2 server, HTTP/1.1 by ALPN'
  t.test(`malformed requests (${server}) get a Status with the right code, and the connection closes`, async (t) => {
    const a = await arena(t, { input: { secureServing: { disableHttp2Serving } } })
    const alpha = a.topo.shards.get('alpha')!
    const before = alpha.stats.requests
    const cases: [string, string, number, string][] = [
      ['garbage request line', 'HELLO THERE\r\n\r\n', 405, 'MethodNotAllowed'],
      ['not HTTP at all', '\x16\x03\x01 binary\r\n\r\n', 400, 'BadRequest'],
      ['unknown method (upstream: the shard answers 405)', 'FOO /clusters/root:org/api HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'MethodNotAllowed'],
      ['header line without a colon', 'GET /clusters/root:org/api HTTP/1.1\r\nHost: x\r\nX-Broken\r\n\r\n', 400, 'BadRequest'],
      ['CR inside a header value', 'GET /clusters/root:org/api HTTP/1.1\r\nHost: x\r\nX-A: a\rX-Remote-User: admin\r\n\r\n', 400, 'BadRequest'],
      ['request smuggling: Content-Length and Transfer-Encoding together', 'POST /clusters/root:org/api HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /clusters/*/api/v1/namespaces HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BadRequest'],
      ['request smuggling: two Content-Lengths', 'POST /clusters/root:org/api HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd', 400, 'BadRequest'],
      ['headers over 1 MiB', `GET /clusters/root:org/api HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat((1 << 20) + 10)}\r\n\r\n`, 431, 'RequestHeaderFieldsTooLarge'],
    ]
    for (const [name, raw, code, reason] of cases) {
      const got = await send(t, a, raw)
      const st = statusOf(got.text)
      t.equal(st.code, code, `${name}: ${code}`)
      t.match(st.body, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code }, `${name}: a Status`)
      t.ok(got.closed, `${name}: connection closed`)
      t.equal((got.text.match(/HTTP\/1\.1 \d{3}/g) ?? []).length, 1, `${name}: exactly one answer`)
    }
    t.equal(alpha.stats.requests, before, 'nothing reached the shard')
  })
}

t.test('headers between Node\'s 16 KiB default and upstream\'s 1 MiB reach the shard (large tokens, exec over HTTP/1.1)', async (t) => {
  const a = await arena(t, { auth: 'client-cert-only' })
  const big = 'x'.repeat(200 * 1024)
  const r = await whoami(a, { headers: { authorization: 'Bearer admin-token', 'x-large': big } })
  t.equal(r.status, 201, 'a 200 KiB header is accepted and forwarded')
  t.equal(r.user?.username, 'admin')
})
