// A client that goes away in the middle of a watch must not leave the proxy's upstream
// watch open on the shard (one leaked watch per disconnect would exhaust a shard).
import t from 'tap'
import { request as httpsRequest } from 'node:https'
import { connect as h2connect } from 'node:http2'
import type { ClientRequest, IncomingMessage } from 'node:http'
import { startE2E } from './fixtures/env.js'
import { eventually } from '../fixtures/eventually.js'

const e = await startE2E(t)
const alpha = e.topo.shards.get('alpha')!

function openWatch(path: string): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${e.proxyURL}${path}`, { ca: e.ca, cert: e.topo.pki.admin.cert, key: e.topo.pki.admin.key, agent: false })
    req.on('response', (res) => resolve({ req, res }))
    req.on('error', reject)
    req.end()
  })
}

t.test('closing the client connection mid-watch cancels the upstream watch on the shard', async (t) => {
  const before = alpha.stats.openWatches
  const { req, res } = await openWatch('/clusters/root:org/api/v1/namespaces/default/configmaps?watch=true')
  t.equal(res.statusCode, 200)
  await eventually('the upstream watch to open', () => alpha.stats.openWatches === before + 1, { timeoutMs: 15_000, intervalMs: 100 })
  res.on('error', () => { /* the abort below */ })
  req.destroy()
  await eventually('the upstream watch to close', () => alpha.stats.openWatches === before, { timeoutMs: 10_000, intervalMs: 100 })
  t.equal(alpha.stats.openWatches, before)
})

t.test('many aborted watches leave none behind', async (t) => {
  const before = alpha.stats.openWatches
  const watches = await Promise.all(Array.from({ length: 20 }, () => openWatch('/clusters/root:org/api/v1/configmaps?watch=true')))
  await eventually('20 upstream watches', () => alpha.stats.openWatches === before + 20, { timeoutMs: 15_000, intervalMs: 100 })
  for (const w of watches) { w.res.on('error', () => {}); w.req.destroy() }
  await eventually('all upstream watches to close', () => alpha.stats.openWatches === before, { timeoutMs: 10_000, intervalMs: 100 })
  t.equal(alpha.stats.openWatches, before)
})

// Regression (found by bench/watches.bench.ts): over HTTP/2 a reset stream or a destroyed session left
// the upstream watch open, because Node 20 reports a reset HTTP/2 response as writableFinished.

/** Polls until `check` holds or `timeoutMs` passes; returns whether it held. */
t.test('an HTTP/2 client that resets its watch streams and goes away cancels the upstream watches', async (t) => {
  const before = alpha.stats.openWatches
  const session = h2connect(e.proxyURL, { ca: e.ca, cert: e.topo.pki.admin.cert, key: e.topo.pki.admin.key })
  t.teardown(() => { session.destroy() })
  session.on('error', () => { /* destroyed below */ })
  const streams = await Promise.all(Array.from({ length: 5 }, () => new Promise<ReturnType<typeof session.request>>((resolve, reject) => {
    const s = session.request({ ':path': '/clusters/root:org/api/v1/namespaces/default/configmaps?watch=true' }, { endStream: true })
    s.on('response', (h) => (h[':status'] === 200 ? resolve(s) : reject(new Error(`HTTP ${String(h[':status'])}`))))
    s.on('error', () => { /* the reset below */ })
  })))
  await eventually('5 upstream watches', () => alpha.stats.openWatches === before + 5, { timeoutMs: 15_000, intervalMs: 100 })
  streams[0].close() // RST_STREAM(CANCEL) for one stream, the session stays
  t.ok(await eventually('the reset stream\'s upstream watch closed', () => alpha.stats.openWatches === before + 4, { timeoutMs: 15_000, intervalMs: 100 }), 'the reset stream\'s upstream watch closed')
  session.destroy() // then the whole connection goes away
  t.ok(await eventually('every upstream watch closed with the session', () => alpha.stats.openWatches === before, { timeoutMs: 15_000, intervalMs: 100 }), 'every upstream watch closed with the session')
})
