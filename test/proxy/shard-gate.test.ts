// The gate's decisions over a plain connection source (the real one, over undici Clients and a
// TLS shard, is pinned in connections.test.ts and through the server in test/attacks).
import t from 'tap'
import { ProxyError } from '../../src/errors.js'
import { MAX_CONNECTING, ShardGate, type Connections, type Waiter } from '../../src/proxy/shard-gate.js'
import { eventually } from '../fixtures/eventually.js'

/** Connections as numbers: `idle` ones to take, new ones opened on request (each starts a handshake). */
class Conns implements Connections<number> {
  idle: number[] = []
  size = 0
  connecting = 0
  opened = 0
  onChange: (() => void) | undefined
  takeIdle(): number | undefined {
    return this.idle.pop()
  }
  open(): number {
    this.size++
    this.connecting++
    return ++this.opened
  }
  /** Handshakes finish; the connections stay with the requests that opened them. */
  connected(): void {
    this.connecting = 0
    this.onChange?.()
  }
  /** A request is done with `c`. */
  release(c: number): void {
    this.idle.push(c)
    this.onChange?.()
  }
  withIdle(n: number): this {
    for (let i = 0; i < n; i++) this.idle.push(this.open())
    this.connecting = 0
    return this
  }
}

type Entered = { conn: number | undefined; err: ProxyError | undefined; waiter: Waiter<number> | undefined }

function enter(g: ShardGate<number>, mayConnect = true): Entered {
  const e: Entered = { conn: undefined, err: undefined, waiter: undefined }
  const w = g.enter(
    (c) => (e.conn = c),
    (err) => (e.err = err),
    mayConnect,
  )
  if (w instanceof ProxyError) e.err = w
  else e.waiter = w
  return e
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const ran = (es: Entered[]): number => es.filter((e) => e.conn !== undefined).length

t.test('an idle connection is taken at once; without one the request waits a turn, then opens one', async (t) => {
  const c = new Conns().withIdle(1)
  const g = new ShardGate({ limit: 10 }, c)
  t.teardown(() => g.close())
  const first = enter(g)
  t.equal(first.conn, 1, 'the idle connection, at once')
  const second = enter(g)
  t.equal(second.conn, undefined, 'none idle: it waits a turn (a client resetting it now would cancel it)')
  await turn()
  t.equal(second.conn, 2, 'then a connection is opened for it')
})

t.test('requests wait in order, beyond the queue they are refused with a retryable 429', async (t) => {
  const c = new Conns().withIdle(2)
  const g = new ShardGate({ limit: 2, size: 2 }, c)
  t.teardown(() => g.close())
  const [a, b, x, y, z] = [enter(g), enter(g), enter(g), enter(g), enter(g)]
  t.same([a.conn, b.conn], [2, 1], 'two run on the idle connections')
  await turn()
  t.same([x.conn, y.conn], [undefined, undefined], 'the limit of 2 connections is reached: two wait')
  t.equal(z.err?.status, 429, 'the fifth finds the queue full')
  t.equal(z.err?.reason, 'TooManyRequests')
  t.same(z.err?.details, { retryAfterSeconds: 1 })
  c.release(a.conn!)
  await turn()
  t.same([x.conn, y.conn], [2, undefined], 'a released connection goes to the oldest waiter')
})

t.test('a waiter whose client went away gives up its place and never gets a connection', async (t) => {
  const c = new Conns().withIdle(1)
  const g = new ShardGate({ limit: 1, size: 1 }, c)
  t.teardown(() => g.close())
  const a = enter(g)
  const gone = enter(g)
  t.equal(enter(g).err?.status, 429, 'queue of one is full')
  g.cancel(gone.waiter!)
  const next = enter(g)
  t.equal(next.err, undefined, 'the cancelled place is free again')
  c.release(a.conn!)
  await turn()
  t.equal(gone.conn, undefined, 'the cancelled waiter was skipped')
  t.equal(next.conn, 1)
  g.cancel(gone.waiter!) // twice is harmless
  t.equal(g.queued, 0)
})

t.test('a waiter that waits longer than the timeout gets a 429 naming the wait', async (t) => {
  const c = new Conns().withIdle(1)
  const g = new ShardGate({ limit: 1, size: 10, timeoutMs: 30 }, c)
  t.teardown(() => g.close())
  enter(g)
  const late = enter(g)
  await eventually('the waiter to expire', () => late.err !== undefined, { timeoutMs: 5000 })
  t.equal(late.err?.status, 429)
  t.match(late.err?.message, /no connection to the shard became free within/)
  t.equal(late.conn, undefined)
  t.equal(g.queued, 0)
})

t.test('closing answers every waiter and refuses newcomers', async (t) => {
  const c = new Conns().withIdle(1)
  const g = new ShardGate({ limit: 1 }, c)
  enter(g)
  const w = enter(g)
  g.close()
  t.equal(w.err?.status, 429)
  t.equal(enter(g).err?.status, 429)
})

t.test(`a burst opens at most ${MAX_CONNECTING} connections at a time, the next ones as handshakes finish`, async (t) => {
  const c = new Conns()
  const g = new ShardGate({ limit: 100, size: 100 }, c)
  t.teardown(() => g.close())
  const burst = Array.from({ length: 10 }, () => enter(g))
  t.equal(ran(burst), 0, 'nothing idle: the burst waits a turn')
  g.cancel(burst[0].waiter!)
  await turn()
  t.equal(c.connecting, MAX_CONNECTING, `then ${MAX_CONNECTING} handshakes start`)
  t.equal(ran(burst), MAX_CONNECTING)
  t.equal(burst[0].conn, undefined, 'the cancelled request got none')
  for (let wave = 0; wave < 5 && ran(burst) < 9; wave++) {
    c.connected()
    await turn()
    t.ok(c.connecting <= MAX_CONNECTING, `wave ${wave}: at most ${MAX_CONNECTING} handshakes at once`)
  }
  t.equal(ran(burst), 9, 'every live request got a connection')
  t.equal(c.opened, 9, 'one each, none for the cancelled one')
})

t.test('a request that may not open connections (its session resets its requests) waits for an idle one', async (t) => {
  const c = new Conns().withIdle(1)
  const g = new ShardGate({ limit: 100, timeoutMs: 10_000 }, c)
  t.teardown(() => g.close())
  const a = enter(g, false)
  t.equal(a.conn, 1, 'an idle connection: it runs at once')
  const waiting = enter(g, false)
  await turn()
  t.equal(waiting.conn, undefined, 'none idle: it opens none, although handshakes are allowed')
  t.equal(c.opened, 1)
  c.release(a.conn!)
  await turn()
  t.equal(waiting.conn, 1, 'it runs once a connection is free')
})
