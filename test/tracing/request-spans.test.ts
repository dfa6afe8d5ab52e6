// Tracing end to end: the real server (createFrontProxy) in front of emulated shards, exporting
// over OTLP/gRPC to an in-process receiver. Closing the proxy flushes its spans (shutdown).
import t from 'tap'
import { createServer } from 'node:net'
import { attempt, bearer, protocols } from '../attacks/arena.js'
import { SERVER_KIND, traceOf, tracingArena } from './fixtures.js'

const TID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

t.test('a sampled request exports a server span with index-lookup and authentication children; the shard got its traceparent', async (t) => {
  const a = await tracingArena(t, { rate: 1_000_000 })
  const cluster = a.topo.resolvePath('root:org')!.cluster
  for (const p of protocols) t.equal((await attempt(a, p, { headers: bearer('user-token') })).status, 201, `${p}: served`)
  await a.proxy.close()
  const servers = a.receiver.spans.filter((s) => s.kind === SERVER_KIND)
  t.equal(servers.length, 2, 'one server span per request')
  const reviews = a.atShard.filter((r) => r.url.includes('selfsubjectreviews'))
  t.equal(reviews.length, 2, 'both requests reached alpha')
  for (const [i, server] of servers.entries()) {
    const { children } = traceOf(a.receiver.spans, server)
    t.equal(server.parentSpanId, '', 'no client parent: a root span')
    t.equal(server.name, 'POST /clusters/')
    t.match(server.attributes, {
      'http.request.method': 'POST', 'http.response.status_code': 201, 'http.route': '/clusters/', 'url.scheme': 'https',
      'kcp.workspace.path': 'root:org', 'kcp.shard': 'alpha', 'kcp.logical_cluster': cluster,
      'url.path': '/clusters/root:org/apis/authentication.k8s.io/v1/selfsubjectreviews',
    })
    t.equal(server.statusCode, 0, '2xx: status unset')
    t.match(children['index lookup']?.attributes, { 'kcp.index.result': 'found', 'kcp.shard': 'alpha', 'kcp.logical_cluster': cluster })
    t.match(children.authenticate?.attributes, { 'kcp.authentication.result': 'user' })
    t.equal(Object.keys(children).length, 2, 'exactly two children')
    const sent = reviews.find((r) => r.headers.traceparent === `00-${server.traceId}-${server.spanId}-01`)
    t.ok(sent, `request ${i}: the shard received the exported server span as its traceparent`)
  }
  t.match(servers.map((s) => s.attributes['network.protocol.version']).sort(), ['1.1', '2'])
})

t.test('a client traceparent is honoured: sampled parent traced even at rate 0, its tracestate passed on; nothing else exported', async (t) => {
  const a = await tracingArena(t, { rate: 0 })
  for (const p of protocols) t.equal((await attempt(a, p, { headers: bearer('user-token') })).status, 201, `${p}: no traceparent, not sampled`)
  const r = await attempt(a, 'HTTP/1.1', { headers: { ...bearer('user-token'), traceparent: `00-${TID}-${PARENT}-01`, tracestate: 'vendor=abc' } })
  t.equal(r.status, 201)
  await a.proxy.close()
  const servers = a.receiver.spans.filter((s) => s.kind === SERVER_KIND)
  t.equal(servers.length, 1, 'only the request whose parent was sampled')
  t.equal(servers[0].traceId, TID, 'same trace as the client')
  t.equal(servers[0].parentSpanId, PARENT, "the client's span is the parent")
  t.equal(servers[0].traceState, 'vendor=abc')
  t.ok(a.receiver.spans.every((s) => s.traceId === TID), 'no span of the unsampled requests')
  const sent = a.atShard.filter((x) => x.url.includes('selfsubjectreviews'))
  t.same(sent.map((x) => x.headers.traceparent), [undefined, undefined, `00-${TID}-${servers[0].spanId}-01`], 'only the traced request carries a traceparent, ours')
  t.equal(sent[2].headers.tracestate, 'vendor=abc')
})

t.test('sampling 0 and no client parent: nothing is exported and no traceparent is invented', async (t) => {
  const a = await tracingArena(t, { rate: 0 })
  for (let i = 0; i < 5; i++) for (const p of protocols) t.equal((await attempt(a, p, { headers: bearer('user-token') })).status, 201)
  await a.proxy.close()
  t.same(a.receiver.raw, [], 'no export call at all')
  t.ok(a.atShard.every((r) => r.headers.traceparent === undefined))
})

t.test('an unsampled client parent is passed through unchanged and nothing is exported, whatever the rate', async (t) => {
  const a = await tracingArena(t, { rate: 1_000_000 })
  const tp = `00-${TID}-${PARENT}-00`
  t.equal((await attempt(a, 'HTTP/2', { headers: { ...bearer('user-token'), traceparent: tp } })).status, 201)
  await a.proxy.close()
  t.same(a.receiver.spans, [])
  t.equal(a.atShard.find((r) => r.url.includes('selfsubjectreviews'))?.headers.traceparent, tp)
})

t.test('an unreachable collector fails no request; its spans are counted as dropped', async (t) => {
  // A port that was just free: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  const a = await tracingArena(t, { rate: 1_000_000, endpoint: `127.0.0.1:${port}` })
  for (let i = 0; i < 10; i++) for (const p of protocols) t.equal((await attempt(a, p, { headers: bearer('user-token') })).status, 201)
  const started = performance.now()
  await a.proxy.close()
  t.ok(performance.now() - started < 5000, 'shutdown stays within its timeout')
  const m = await a.proxy.registry.getSingleMetric('kcp_front_proxy_tracing_spans_dropped_total')!.get()
  const dropped = m.values.reduce((n, v) => n + v.value, 0)
  t.ok(dropped > 0, `spans counted as dropped (${dropped})`)
  const exported = await a.proxy.registry.getSingleMetric('kcp_front_proxy_tracing_spans_exported_total')!.get()
  t.equal(exported.values[0]?.value ?? 0, 0, 'none exported')
})
