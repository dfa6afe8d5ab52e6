// createShutdown's own sequence (shutdown.test.ts drives it through a real server): readiness
// fails first, accepting stops before watches end, drain is bounded, release runs in order, once.
import t from 'tap'
import { PassThrough } from 'node:stream'
import pino from 'pino'
import type { Exchange } from '../../src/proxy/exchange.js'
import { Connections, createShutdown } from '../../src/server/shutdown.js'

const silent = pino({ level: 'silent' })

function plan(c: Connections, steps: string[]) {
  return createShutdown({
    logger: silent,
    connections: c,
    defaults: { delayMs: 0, timeoutMs: 10_000 },
    stopAccepting: () => steps.push(`stop accepting (draining=${c.inflight.draining})`),
    stopReloads: () => steps.push('stop reloads'),
    release: [() => steps.push('pools'), async () => steps.push('app'), () => steps.push('metrics server')],
  })
}

t.test('readiness fails, accepting stops, tunnels are cut, requests drain, then release in order; once', async (t) => {
  const c = new Connections()
  const steps: string[] = []
  const s = plan(c, steps)
  t.same(s.checks(), [{ name: 'shutdown', ok: true }])
  const tunnel = new PassThrough()
  c.tunnels.add(tunnel)
  // A short request still running: the drain waits for it.
  const ex = { longRunning: false } as Exchange
  c.inflight.add(ex)
  const done = s.shutdown()
  t.equal(s.shutdown(), done, 'a second call gets the same run')
  t.same(s.checks(), [{ name: 'shutdown', ok: false, message: 'the server is shutting down' }])
  await new Promise((r) => setImmediate(r))
  t.same(steps, ['stop accepting (draining=true)', 'stop reloads'], 'waiting for the request before releasing')
  t.ok(tunnel.destroyed, 'the tunnel is cut')
  c.inflight.delete(ex)
  await done
  t.same(steps, ['stop accepting (draining=true)', 'stop reloads', 'pools', 'app', 'metrics server'])
})

t.test('a request that never ends is given up after the timeout and release still runs', async (t) => {
  const c = new Connections()
  const steps: string[] = []
  c.inflight.add({ longRunning: false } as Exchange)
  await plan(c, steps).shutdown({ timeoutMs: 20 })
  t.same(steps.slice(-3), ['pools', 'app', 'metrics server'])
  t.equal(c.inflight.all.size, 1, 'the stuck request was not waited for')
})
