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

/** Sessions (owners) judged to be resetting their requests; the gates below consult it. */
const resetting = new Set<object>()
const mayConnect = (owner: object): boolean => !resetting.has(owner)

function enter(g: ShardGate<number>, owner?: object): Entered {
  const e: Entered = { conn: undefined, err: undefined, waiter: undefined }
  const w = g.enter(
    (c) => (e.conn = c),
    (err) => (e.err = err),
    owner,
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
  const g = new ShardGate({ limit: 100, timeoutMs: 10_000, mayConnect }, c)
  t.teardown(() => g.close())
  const flood = {}
  resetting.add(flood)
  t.teardown(() => resetting.delete(flood))
  const a = enter(g, flood)
  t.equal(a.conn, 1, 'an idle connection: it runs at once')
  const waiting = enter(g, flood)
  await turn()
  t.equal(waiting.conn, undefined, 'none idle: it opens none, although handshakes are allowed')
  t.equal(c.opened, 1)
  c.release(a.conn!)
  await turn()
  t.equal(waiting.conn, 1, 'it runs once a connection is free')
})

t.test('rapid reset, first burst: a session found resetting by the time a connection would be opened opens none', async (t) => {
  // A flood's first requests arrive before its first resets are counted: judged on arrival they
  // would each be allowed a handshake. They are judged when the connection would be opened.
  const c = new Conns()
  const g = new ShardGate({ limit: 100, mayConnect }, c)
  t.teardown(() => g.close())
  const flood = {}
  t.teardown(() => resetting.delete(flood))
  const burst = Array.from({ length: 10 }, () => enter(g, flood))
  resetting.add(flood) // its resets are counted within the same turn
  await turn()
  t.equal(c.opened, 0, 'no handshake for a resetting session')
  t.equal(ran(burst), 0)
  t.equal(g.queued, 10, 'they still wait, for idle connections only')
})

t.test('a waiting request of a resetting session does not hold up a request that may open a connection', async (t) => {
  // A shard with no connection yet: before, the resetting waiter at the head blocked the queue
  // until its 10 s deadline, and every request behind it was answered 429.
  const c = new Conns()
  const g = new ShardGate({ limit: 100, timeoutMs: 10_000, mayConnect }, c)
  t.teardown(() => g.close())
  const flood = {}
  resetting.add(flood)
  t.teardown(() => resetting.delete(flood))
  const first = enter(g, flood)
  const normal = enter(g, {})
  const plain = enter(g)
  await turn()
  t.equal(c.opened, 2, 'the two that may connect opened one each')
  t.same([first.conn, normal.conn, plain.conn], [undefined, 1, 2])
  c.connected()
  c.release(normal.conn!)
  await turn()
  t.equal(first.conn, 1, 'the resetting one takes the first connection freed')
})

t.test('the deadline of a request moved to the idle-only queue still holds', async (t) => {
  const c = new Conns()
  const g = new ShardGate({ limit: 100, timeoutMs: 30, mayConnect }, c)
  t.teardown(() => g.close())
  const flood = {}
  resetting.add(flood)
  t.teardown(() => resetting.delete(flood))
  const w = enter(g, flood)
  await eventually('the 429 after 30 ms', () => w.err !== undefined, { timeoutMs: 2000 })
  t.equal(w.err?.status, 429)
  t.equal(g.queued, 0)
})
