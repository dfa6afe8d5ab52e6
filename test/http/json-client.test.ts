import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpError, JSONClient, type JSONClientOptions } from '../../src/http/json-client.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A loopback HTTP server and a client for it, both closed in teardown. */
async function serve(t: { teardown(fn: () => unknown): void }, handler: Handler, opts: JSONClientOptions = {}): Promise<{ url: string; client: JSONClient }> {
  const server = createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const client = new JSONClient(opts)
  t.teardown(async () => {
    await client.destroy()
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, client }
}

const answer = (status: number, body: string): Handler => (_req, res) => res.writeHead(status).end(body)

t.test('bodies: JSON parsed, empty undefined, other text handed back unless a JSON document is required', async (t) => {
  const cases: [string, number, string, boolean, unknown][] = [
    ['JSON', 200, '{"a":1}', false, { a: 1 }],
    ['JSON, required', 200, '[1,2]', true, [1, 2]],
    ['empty', 204, '', true, undefined],
    ['text', 200, 'not json', false, 'not json'],
    ['text error page, required', 502, '<html>bad gateway</html>', true, '<html>bad gateway</html>'],
    ['text 200, required', 200, 'not json', true, /response is not JSON/],
  ]
  for (const [name, status, body, requireJSON, want] of cases) {
    const { url, client } = await serve(t, answer(status, body), { requireJSON })
    if (want instanceof RegExp) await t.rejects(client.send('GET', `${url}/doc`), { name: 'HttpError', message: want }, name)
    else t.same(await client.send('GET', `${url}/doc`), { status, body: want }, name)
  }
})

t.test('headers: accept, bearer token, user agent only when given, content type with a body', async (t) => {
  const seen: IncomingMessage['headers'][] = []
  const { url, client } = await serve(t, (req, res) => { seen.push(req.headers); req.resume(); req.on('end', () => res.end('{}')) }, { token: 's3cret', userAgent: 'kcp-front-proxy' })
  await client.send('GET', `${url}/a`)
  await client.send('POST', `${url}/b`, { x: 1 })
  t.match(seen[0], { accept: 'application/json', authorization: 'Bearer s3cret', 'user-agent': 'kcp-front-proxy' })
  t.equal(seen[0]['content-type'], undefined)
  t.equal(seen[1]['content-type'], 'application/json')

  const plain: IncomingMessage['headers'][] = []
  const other = await serve(t, (req, res) => { plain.push(req.headers); res.end('{}') })
  await other.client.send('GET', `${other.url}/c`)
  t.equal(plain[0].authorization, undefined)
  t.not(plain[0]['user-agent'], 'kcp-front-proxy')
})

t.test('a body larger than maxBodyBytes is an error, not memory', async (t) => {
  const { url, client } = await serve(t, answer(200, JSON.stringify({ pad: 'x'.repeat(64 * 1024) })), { maxBodyBytes: 1024 })
  await t.rejects(client.send('GET', `${url}/big`), { name: 'HttpError', message: /response larger than 1024 bytes/ })
})

t.test('transport errors name method and URL, keep the code, and never the token', async (t) => {
  const { url, client } = await serve(t, (req) => req.socket.destroy(), { token: 's3cret' })
  const err = await client.send('GET', `${url}/reset`).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof HttpError)
  t.match((err as HttpError).message, new RegExp(`^GET ${url}/reset: `))
  t.notMatch((err as HttpError).message, /s3cret/)
  t.match((err as HttpError).code, /^(ECONNRESET|UND_ERR_SOCKET)$/)
})

t.test('requestTimeoutMs bounds a peer that never answers', async (t) => {
  const { url, client } = await serve(t, () => undefined, { requestTimeoutMs: 200 })
  const started = Date.now()
  await t.rejects(client.send('GET', `${url}/silent`), { name: 'HttpError', message: /GET .*\/silent: / })
  t.ok(Date.now() - started < 5_000, 'ended by the deadline, not a default timeout')
})

t.test('stream: a 200 body is handed over as it comes; other answers are read', async (t) => {
  const { url, client } = await serve(t, (req, res) => {
    if (req.url === '/gone') { res.writeHead(410).end('{"kind":"Status","code":410}'); return }
    res.writeHead(200)
    res.write('{"type":"ADDED"}\n')
    res.end()
  })
  const ok = await client.stream(`${url}/watch`, new AbortController().signal)
  t.equal(ok.status, 200)
  let text = ''
  if ('stream' in ok) for await (const chunk of ok.stream) text += Buffer.from(chunk).toString()
  t.equal(text, '{"type":"ADDED"}\n')
  t.same(await client.stream(`${url}/gone`, new AbortController().signal), { status: 410, body: { kind: 'Status', code: 410 } })
})
