import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { NdjsonDecoder, NdjsonError, decodeNdjson } from '../../src/kube/ndjson.js'

function decodeAll(chunks: Buffer[], opts?: { maxLineBytes?: number }): unknown[] {
  const d = new NdjsonDecoder(opts)
  const out: unknown[] = []
  for (const c of chunks) d.push(c, (v) => out.push(v))
  d.end((v) => out.push(v))
  return out
}

const events = [
  { type: 'ADDED', object: { metadata: { name: 'a' }, data: 'ünïcødé 🚀 日本' } },
  { type: 'MODIFIED', object: { metadata: { name: 'b' } } },
  { type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } },
]
const wire = Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''))

t.test('decodes the same values for every chunking, including multi-byte UTF-8 split across chunks', async (t) => {
  for (let size = 1; size <= wire.length; size += size < 8 ? 1 : 13) {
    const chunks: Buffer[] = []
    for (let i = 0; i < wire.length; i += size) chunks.push(wire.subarray(i, i + size))
    t.same(decodeAll(chunks), events, `chunk size ${size}`)
  }
})

t.test('table: edge cases', async (t) => {
  const cases: { name: string; input: string[]; want: unknown[] }[] = [
    { name: 'empty stream', input: [], want: [] },
    { name: 'blank and CRLF lines are skipped', input: ['\n\r\n{"a":1}\r\n', '\n'], want: [{ a: 1 }] },
    { name: 'final line without newline', input: ['{"a":1}\n{"b"', ':2}'], want: [{ a: 1 }, { b: 2 }] },
    { name: 'newline as its own chunk', input: ['{"a":1}', '\n', '{"b":2}', '\n'], want: [{ a: 1 }, { b: 2 }] },
  ]
  for (const c of cases) t.same(decodeAll(c.input.map((s) => Buffer.from(s))), c.want, c.name)
})

t.test('a multi-megabyte object in many small chunks decodes in linear time', async (t) => {
  const big = { metadata: { name: 'big' }, data: 'x'.repeat(8 * 1024 * 1024) }
  const buf = Buffer.from(JSON.stringify(big) + '\n')
  const chunks: Buffer[] = []
  for (let i = 0; i < buf.length; i += 16 * 1024) chunks.push(buf.subarray(i, i + 16 * 1024))
  const out = decodeAll(chunks) as (typeof big)[]
  t.equal(out.length, 1)
  t.equal(out[0].data.length, big.data.length)
})

t.test('malformed line: values before it are delivered, then a NdjsonError names the line', async (t) => {
  const d = new NdjsonDecoder()
  const out: unknown[] = []
  const err = t.throws(() => d.push(Buffer.from('{"a":1}\n{"b":\n{"c":3}\n'), (v) => out.push(v)))
  t.ok(err instanceof NdjsonError)
  t.equal((err as NdjsonError).line, 2)
  t.match((err as Error).message, /malformed JSON on line 2/)
  t.same(out, [{ a: 1 }])
})

t.test('an oversized line is refused before it is buffered whole', async (t) => {
  const d = new NdjsonDecoder({ maxLineBytes: 10 })
  t.throws(() => d.push(Buffer.from('{"a":"0123456789"'), () => undefined), /exceeds 10 bytes/)
})

t.test('a consumer exception is not reported as malformed JSON', async (t) => {
  const d = new NdjsonDecoder()
  t.throws(() => d.push(Buffer.from('{"a":1}\n'), () => { throw new Error('consumer broke') }), /consumer broke/)
})

t.test('decodeNdjson over a real chunked HTTP response with split writes', async (t) => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    let i = 0
    const timer = setInterval(() => {
      if (i >= wire.length) {
        clearInterval(timer)
        res.end('{"broken\n')
        return
      }
      res.write(wire.subarray(i, i + 7))
      i += 7
    }, 1)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const res = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  const got: unknown[] = []
  await t.rejects(
    (async () => {
      for await (const v of decodeNdjson(res.body)) got.push(v)
    })(),
    NdjsonError,
  )
  t.same(got, events, 'every complete event arrived before the error')
})
