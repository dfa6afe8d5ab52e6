import t from 'tap'
import { ProxyError } from '../../src/errors.js'
import { ConnectionCount, MAX_CONNECTING, ShardGate, type Waiter } from '../../src/proxy/shard-gate.js'
import { until } from '../fixtures/until.js'

type Entered = { ran: boolean; err: ProxyError | undefined; waiter: Waiter | undefined }

function enter(g: ShardGate): Entered {
  const e: Entered = { ran: false, err: undefined, waiter: undefined }
  const w = g.enter(
    () => (e.ran = true),
    (err) => (e.err = err),
  )
  if (w instanceof ProxyError) e.err = w
  else e.waiter = w
  return e
}

t.test('requests run at once up to the limit, then wait in order, then are refused with a retryable 429', async (t) => {
  const g = new ShardGate({ limit: 2, size: 2 })
  t.teardown(() => g.close())
  const [a, b, c, d, e] = [enter(g), enter(g), enter(g), enter(g), enter(g)]
  t.same([a.ran, b.ran, c.ran, d.ran], [true, true, false, false], 'two run, two wait')
  t.equal(e.err?.status, 429, 'the fifth finds the queue full')
  t.equal(e.err?.reason, 'TooManyRequests')
  t.same(e.err?.details, { retryAfterSeconds: 1 })
  t.equal(g.queued, 2)
  g.leave()
  t.same([c.ran, d.ran], [true, false], 'a finished request lets the oldest waiter run')
  g.leave()
  t.ok(d.ran)
  t.equal(g.inflight, 2)
})

t.test('a waiter whose client went away gives up its place and never runs', async (t) => {
  const g = new ShardGate({ limit: 1, size: 1 })
  t.teardown(() => g.close())
  enter(g)
  const gone = enter(g)
  t.equal(enter(g).err?.status, 429, 'queue of one is full')
  g.cancel(gone.waiter!)
  const next = enter(g)
  t.equal(next.err, undefined, 'the cancelled place is free again')
  g.leave()
  t.notOk(gone.ran, 'the cancelled waiter was skipped')
  t.ok(next.ran)
  g.cancel(gone.waiter!) // twice is harmless
  t.equal(g.queued, 0)
})

t.test('a waiter that waits longer than the timeout gets a 429 naming the wait', async (t) => {
  const g = new ShardGate({ limit: 1, size: 10, timeoutMs: 30 })
  t.teardown(() => g.close())
  enter(g)
  const late = enter(g)
  await until('the waiter to expire', () => late.err !== undefined, { timeoutMs: 5000 })
  t.equal(late.err?.status, 429)
  t.match(late.err?.message, /no connection to the shard became free within/)
  t.notOk(late.ran)
  t.equal(g.queued, 0)
})

t.test('closing answers every waiter and refuses newcomers', async (t) => {
  const g = new ShardGate({ limit: 1 })
  enter(g)
  const w = enter(g)
  g.close()
  t.equal(w.err?.status, 429)
  t.equal(enter(g).err?.status, 429)
})

t.test(`beyond the open connections, at most ${MAX_CONNECTING} requests run while handshakes are in progress`, async (t) => {
  const conns = new ConnectionCount()
  const g = new ShardGate({ limit: 100, size: 100, connections: conns })
  t.teardown(() => g.close())
  const started: Entered[] = []
  // Each request that runs without a free connection makes the pool open one.
  for (let i = 0; i < 10; i++) {
    const e = enter(g)
    if (e.ran) conns.connecting++
    started.push(e)
  }
  t.equal(started.filter((e) => e.ran).length, MAX_CONNECTING, 'the burst waits for the first handshakes')
  // The handshakes complete: those connections are open, and the waiters may use them.
  conns.connecting = 0
  conns.open = MAX_CONNECTING
  conns.onChange?.()
  t.equal(started.filter((e) => e.ran).length, 10, 'the rest run as connections appear')
})
