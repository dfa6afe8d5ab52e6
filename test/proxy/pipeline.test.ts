// The request pipeline end to end: real TLS client → proxy → real HTTPS backend that
// requires the proxy's client certificate.
import t from 'tap'
import type { AuthDecision, AuthRequest } from '../../src/auth/types.js'
import { startBackend, startProxy, twoShardIndex, logicalCluster, workspace } from './fixtures/env.js'
import { h1, h2 } from './fixtures/client.js'

t.test('workspace requests reach the right shard over HTTP/1.1 and HTTP/2 with the mapping client certificate', async (t) => {
  const root = await startBackend(t)
  const alpha = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, alpha.url) })
  const a = await h1(`${env.proxy.url}/clusters/root:org/api/v1/namespaces?limit=5`, env.ca)
  t.equal(a.status, 200)
  t.equal(a.headers['x-backend'], 'yes')
  const seen = JSON.parse(a.body)
  t.equal(seen.url, '/clusters/orgcluster/api/v1/namespaces?limit=5')
  t.equal(seen.clientCN, 'kcp-front-proxy')
  const b = await h2(`${env.proxy.url}/clusters/root/api?x=1`, env.ca)
  t.equal(b.alpn, 'h2')
  t.equal(b.status, 200)
  t.equal(JSON.parse(b.body).url, '/clusters/root/api?x=1')
  t.equal(JSON.parse(b.body).headers.host, `127.0.0.1:${env.proxy.port}`, 'the client Host is kept (as upstream), also from :authority')
  t.equal(alpha.seen.length, 1)
  t.equal(root.seen.length, 1)
})

t.test('the client percent-encoding after the cluster segment reaches the shard unchanged', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const a = await h1(`${env.proxy.url}/clusters/root:org/api/v1/namespaces/d/configmaps/a%2Fb%20c?fieldSelector=metadata.name%3Dx`, env.ca)
  t.equal(JSON.parse(a.body).url, '/clusters/orgcluster/api/v1/namespaces/d/configmaps/a%2Fb%20c?fieldSelector=metadata.name%3Dx')
})

t.test('errors are Kubernetes Status bodies, byte for byte', async (t) => {
  const root = await startBackend(t)
  const idx = twoShardIndex(root.url, root.url)
  idx.upsertWorkspace('root', workspace('down', 'root', 'downcluster', 'Unavailable'))
  idx.upsertLogicalCluster('root', logicalCluster('downcluster'))
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: idx })
  const forbidden = await h1(`${env.proxy.url}/clusters/root:nope/api/v1/namespaces`, env.ca)
  t.equal(forbidden.status, 403)
  t.equal(forbidden.headers['content-type'], 'application/json')
  t.equal(forbidden.headers['x-content-type-options'], 'nosniff')
  t.equal(
    forbidden.body,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"\\" cannot get path \\"/clusters/root:nope/api/v1/namespaces\\": workspace access not permitted: workspace \\"root:nope\\" does not exist","reason":"Forbidden","details":{},"code":403}\n',
  )
  const unavailable = await h1(`${env.proxy.url}/clusters/root:down/api`, env.ca)
  t.equal(unavailable.status, 503)
  t.equal(unavailable.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Not available.","reason":"ServiceUnavailable","code":503}\n')
  const notFound = await h1(`${env.proxy.url}/version`, env.ca)
  t.equal(notFound.status, 404)
  t.equal(notFound.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}\n')
  const bad = await h1(`${env.proxy.url}/clusters/root%2F..%2Fother/api`, env.ca)
  t.equal(bad.status, 400)
  t.match(JSON.parse(bad.body), { kind: 'Status', reason: 'BadRequest', code: 400 })
  const dots = await h1(`${env.proxy.url}/clusters/root:org/api/%2e%2e/%2e%2e/clusters/root/api`, env.ca)
  t.equal(dots.status, 400, 'encoded dot-segments never reach a shard')
  t.equal(root.seen.length, 0)
})

t.test('a shard that is down answers 502 Status (upstream: empty body) and is counted', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, 'https://127.0.0.1:1') })
  const a = await h1(`${env.proxy.url}/clusters/root:org/api`, env.ca)
  t.equal(a.status, 502)
  t.match(JSON.parse(a.body), { kind: 'Status', reason: 'BadGateway', code: 502, message: /ECONNREFUSED/ })
  const metrics = await env.proxy.registry.metrics()
  t.match(metrics, /kcp_front_proxy_upstream_errors_total\{shard="alpha",kind="connect"\} 1/)
  t.match(metrics, /proxy_request_duration_seconds_count\{method="get",code="502"\} 1/)
})

t.test('a shard with an untrusted serving certificate is counted as unknown_ca', async (t) => {
  const root = await startBackend(t)
  // The mapping trusts the serving CA; a backend whose cert is from another CA fails verification.
  const { createCA, issueLoopbackServerCert } = await import('../../src/pki/index.js')
  const other = await issueLoopbackServerCert(await createCA('other'))
  const { createServer } = await import('node:https')
  const rogue = createServer({ cert: other.cert, key: other.key }, (_q, s) => s.end('x'))
  await new Promise<void>((r) => rogue.listen(0, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => rogue.close(() => r())))
  const port = (rogue.address() as { port: number }).port
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, `https://127.0.0.1:${port}`) })
  const a = await h1(`${env.proxy.url}/clusters/root:org/api`, env.ca)
  t.equal(a.status, 502)
  t.match(await env.proxy.registry.metrics(), /kcp_listener_tls_connection_error\{shard="alpha",error_type="unknown_ca"\} 1/)
})

t.test('hop-by-hop headers (incl. Connection-listed ones) are not forwarded; X-Forwarded-For is appended; Authorization is', async (t) => {
  const root = await startBackend(t)
  root.handler = (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-keep': '1', 'x-drop-me': 'secret', connection: 'x-drop-me', 'keep-alive': 'timeout=5' })
    res.end(JSON.stringify(req.headers))
  }
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const a = await h1(`${env.proxy.url}/clusters/root/api`, env.ca, {
    headers: { connection: 'x-hop, keep-alive', 'x-hop': 'bye', 'keep-alive': 'timeout=1', te: 'trailers', 'proxy-authorization': 'Basic x', 'x-forwarded-for': '10.0.0.1', authorization: 'Bearer tok', 'x-end': 'kept' },
  })
  const seen = JSON.parse(a.body)
  for (const h of ['x-hop', 'keep-alive', 'te', 'proxy-authorization']) t.notOk(h in seen, `${h} stripped`)
  t.equal(seen['x-end'], 'kept')
  t.equal(seen.authorization, 'Bearer tok')
  t.equal(seen['x-forwarded-for'], '10.0.0.1, 127.0.0.1')
  t.equal(a.headers['x-keep'], '1')
  t.notOk('x-drop-me' in a.headers, 'response headers listed in Connection are dropped')
})

t.test('forged X-Remote-* headers never reach the shard: anonymous (header injection attack)', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const a = await h1(`${env.proxy.url}/clusters/root/api`, env.ca, {
    headers: { 'X-Remote-User': 'admin', 'x-remote-group': 'system:masters', 'X-Remote-Extra-Scopes': 'x', 'x-REMOTE-extra-foo': 'y' },
  })
  const seen = JSON.parse(a.body)
  t.same(Object.keys(seen.headers).filter((h) => h.startsWith('x-remote')), [])
})

t.test('forged X-Remote-* headers never reach the shard: authenticated user, custom mapping header names (header injection attack)', async (t) => {
  const root = await startBackend(t)
  const authentication = {
    authenticate: async (_r: AuthRequest): Promise<AuthDecision> => ({ kind: 'user', method: 'test', user: { name: 'alice', groups: ['g1', 'g2'], extra: { 'scopes/x': ['a'] } } }),
  }
  const env = await startProxy(t, {
    entries: [{ path: '/clusters/', backend: root.url, user_header: 'X-Custom-User', group_header: 'X-Custom-Group', extra_header_prefix: 'X-Custom-Extra-' }],
    index: twoShardIndex(root.url, root.url),
    authentication,
  })
  const a = await h2(`${env.proxy.url}/clusters/root/api`, env.ca, {
    headers: { 'x-custom-user': 'admin', 'x-custom-group': 'system:masters', 'x-custom-extra-evil': '1', 'x-remote-user': 'admin', 'x-remote-group': 'system:masters' },
  })
  const h = JSON.parse(a.body).headers
  t.equal(h['x-custom-user'], 'alice')
  t.equal(h['x-custom-group'], 'g1, g2')
  t.equal(h['x-custom-extra-scopes%2fx'], 'a')
  t.notOk('x-custom-extra-evil' in h)
  t.notOk('x-remote-user' in h)
  t.notOk('x-remote-group' in h)
})

t.test('authentication failure is a 401 Status and nothing is forwarded', async (t) => {
  const root = await startBackend(t)
  const authentication = { authenticate: async (): Promise<AuthDecision> => ({ kind: 'unauthorized', reason: 'bad token' }) }
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), authentication })
  const a = await h1(`${env.proxy.url}/clusters/root/api`, env.ca, { headers: { authorization: 'Bearer bad' } })
  t.equal(a.status, 401)
  t.equal(a.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n')
  t.equal(root.seen.length, 0)
  const nf = await h1(`${env.proxy.url}/clusters/root:nope/api`, env.ca)
  t.equal(nf.status, 403, 'workspace resolution runs before authentication, as upstream')
})

t.test('an authenticator that throws yields 401 and the process keeps serving', async (t) => {
  const root = await startBackend(t)
  const authentication = { authenticate: async (): Promise<AuthDecision> => Promise.reject(new Error('boom')) }
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), authentication })
  t.equal((await h1(`${env.proxy.url}/clusters/root/api`, env.ca)).status, 401)
  t.equal((await h1(`${env.proxy.url}/clusters/root/api`, env.ca)).status, 401)
})

t.test('request bodies are streamed to the shard, whatever the content type', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const body = Buffer.alloc(300_000, 'k').toString()
  const a = await h1(`${env.proxy.url}/clusters/root/api/v1/namespaces`, env.ca, { method: 'POST', headers: { 'content-type': 'application/vnd.kubernetes.protobuf' }, body })
  t.equal(JSON.parse(a.body).body.length, body.length)
  const b = await h2(`${env.proxy.url}/clusters/root/api/v1/namespaces`, env.ca, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
  t.equal(JSON.parse(b.body).body, '{"a":1}')
  const c = await h1(`${env.proxy.url}/clusters/root/api/v1/namespaces`, env.ca, { method: 'POST', body: 'no content type' })
  t.equal(JSON.parse(c.body).body, 'no content type')
  t.match(await env.proxy.registry.metrics(), /kcp_backend_rq_body_bytes\{shard="root"\} 300022/)
})

t.test('streamed request bodies count in the request-bytes metric, from the first byte or after a buffered part', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), input: { extra: { requestBodyBufferBytes: 1024 } } })
  const url = `${env.proxy.url}/clusters/root/api/v1/namespaces`
  // A Content-Length over the buffer size: the client's stream itself goes to the shard.
  const declared = Buffer.alloc(5000, 'd').toString()
  t.equal(JSON.parse((await h1(url, env.ca, { method: 'POST', body: declared })).body).body, declared)
  // No length: buffered until past the buffer size, then the buffered part and the rest.
  const chunked = Buffer.alloc(3000, 'c').toString()
  t.equal(JSON.parse((await h1(url, env.ca, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: chunked })).body).body, chunked)
  t.match(await env.proxy.registry.metrics(), /kcp_backend_rq_body_bytes\{shard="root"\} 8000\n/)
})

t.test('CORS: matching origins get the apiserver headers and preflights a 204; others pass untouched', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), input: { proxy: { corsAllowedOrigins: ['//example\\.com$'] } } })
  const pre = await h1(`${env.proxy.url}/clusters/root/api`, env.ca, { method: 'OPTIONS', headers: { origin: 'https://example.com' } })
  t.equal(pre.status, 204)
  t.equal(pre.headers['access-control-allow-origin'], 'https://example.com')
  t.equal(pre.headers['access-control-allow-methods'], 'POST, GET, OPTIONS, PUT, DELETE, PATCH')
  t.equal(pre.headers['access-control-allow-headers'], 'Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, X-Requested-With, If-Modified-Since')
  t.equal(pre.headers['access-control-expose-headers'], 'Date')
  t.equal(pre.headers['access-control-allow-credentials'], 'true')
  const get = await h1(`${env.proxy.url}/clusters/root:nope/api`, env.ca, { headers: { origin: 'https://example.com' } })
  t.equal(get.status, 403)
  t.equal(get.headers['access-control-allow-origin'], 'https://example.com', 'error answers carry CORS headers too')
  const other = await h1(`${env.proxy.url}/clusters/root/api`, env.ca, { method: 'OPTIONS', headers: { origin: 'https://evil.org' } })
  t.equal(other.status, 200, 'a non-matching preflight is forwarded')
  t.notOk('access-control-allow-origin' in other.headers)
  t.equal(root.seen.length, 1)
})

t.test('each request is logged once with method, path, shard, cluster, status, bytes, user and no credentials', async (t) => {
  const root = await startBackend(t)
  const authentication = { authenticate: async (): Promise<AuthDecision> => ({ kind: 'user', method: 'test', user: { name: 'alice', groups: [], extra: {} } }) }
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), authentication })
  await h1(`${env.proxy.url}/clusters/root:org/api?token=secret-in-query`, env.ca, { headers: { authorization: 'Bearer very-secret', cookie: 'session=secret' } })
  const lines = env.logs.lines().filter((l) => l.msg === 'request')
  t.equal(lines.length, 1)
  t.match(lines[0], { method: 'GET', path: '/clusters/root:org/api', shard: 'alpha', cluster: 'orgcluster', status: 200, user: 'alice' })
  t.type(lines[0].bytes, 'number')
  t.notMatch(env.logs.text(), /secret/)
})

t.test('an in-cluster service-account request without /clusters/ is routed by its token cluster', async (t) => {
  const root = await startBackend(t)
  const alpha = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, alpha.url) })
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const token = `${enc({ alg: 'RS256' })}.${enc({ 'kubernetes.io': { clusterName: 'orgcluster' } })}.sig`
  const a = await h1(`${env.proxy.url}/api/v1/namespaces/default/pods?limit=1`, env.ca, { headers: { authorization: `Bearer ${token}` } })
  t.equal(a.status, 200)
  t.equal(JSON.parse(a.body).url, '/clusters/orgcluster/api/v1/namespaces/default/pods?limit=1')
  t.equal(alpha.seen.length, 1)
})

t.test('with goawayChance 1 every HTTP/2 response is followed by a GOAWAY so clients rebalance', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), input: { extra: { goawayChance: 1 } } })
  const { connect } = await import('node:http2')
  const session = connect(env.proxy.url, { ca: env.ca })
  t.teardown(() => session.destroy())
  const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()))
  const stream = session.request({ ':path': '/clusters/root/api' })
  stream.resume()
  await new Promise<void>((resolve) => stream.on('end', () => resolve()))
  await goaway
  t.pass('GOAWAY received')
})
