// The plain-HTTP metrics listener: the registry at /metrics; anything else and a failing
// registry are Kubernetes Status answers, and an internal error's text is logged, never sent.
import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import pino from 'pino'
import { Gauge, Registry } from 'prom-client'
import { startMetricsServer } from '../../src/server/metrics-server.js'

async function serve(t: Test, registry: Registry): Promise<{ url: string; logs: () => string }> {
  const lines: string[] = []
  const stream = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString('utf8')), cb()) })
  const m = await startMetricsServer({ host: '127.0.0.1', port: 0 }, registry, pino(stream))
  t.teardown(() => m.close())
  return { url: m.url, logs: () => lines.join('') }
}

t.test('GET /metrics answers the registry in the Prometheus text format', async (t) => {
  const registry = new Registry()
  new Gauge({ name: 'answer_total', help: 'the answer', registers: [registry] }).set(42)
  const { url } = await serve(t, registry)
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  for (const u of [url, `${url}?x=1`]) {
    const res = await fetch(u)
    t.equal(res.status, 200, u)
    t.equal(res.headers.get('content-type'), registry.contentType)
    t.match(await res.text(), /^answer_total 42$/m)
  }
})

t.test('another path is a 404 NotFound Status', async (t) => {
  const { url } = await serve(t, new Registry())
  for (const path of ['/', '/metrics/extra', '/livez']) {
    const res = await fetch(new URL(path, url))
    t.equal(res.status, 404, path)
    t.equal(res.headers.get('content-type'), 'application/json')
    t.equal(res.headers.get('x-content-type-options'), 'nosniff')
    t.same(await res.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 })
  }
})

t.test('a failing registry is a 500 InternalError Status; the error text is logged, not sent', async (t) => {
  const registry = new Registry()
  const secret = 'collector exploded at /var/run/secret-token'
  new Gauge({
    name: 'broken',
    help: 'fails to collect',
    registers: [registry],
    collect() {
      throw new Error(secret)
    },
  })
  const { url, logs } = await serve(t, registry)
  const res = await fetch(url)
  t.equal(res.status, 500)
  t.equal(res.headers.get('content-type'), 'application/json')
  const body = await res.text()
  t.same(JSON.parse(body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'an internal error occurred', reason: 'InternalError', code: 500 })
  t.notMatch(body, /exploded|secret/, 'no raw error text in the answer')
  t.match(logs(), /metrics listener: cannot collect the metrics/)
  t.match(logs(), /collector exploded/, 'the error is in the log')
})
