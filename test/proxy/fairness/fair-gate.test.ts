// The shard gate with flows: the order in which waiters get connections, each flow's bound, the
// counters the metrics read. Connections are numbers (the real ones are in test/proxy/fairness.test.ts).
import t from 'tap'
import { ProxyError } from '../../../src/errors.js'
import { ShardGate, type Connections } from '../../../src/proxy/shard-gate.js'
import type { FlowControlStats, RejectReason } from '../../../src/proxy/fairness/stats.js'
import { StreamSlots } from '../../../src/proxy/fairness/slots.js'

/** `n` connections, all busy at first: release() makes one idle. */
class Busy implements Connections<number> {
  idle: number[] = []
  readonly size: number
  connecting = 0
  onChange: (() => void) | undefined
  constructor(n: number) {
    this.size = n
  }
  takeIdle(): number | undefined {
    return this.idle.pop()
  }
  open(): number {
    throw new Error('no connection is opened: the limit is reached')
  }
  release(c: number): void {
    this.idle.push(c)
    this.onChange?.()
  }
}

function stats(): FlowControlStats & { reasons: RejectReason[]; waits: boolean[] } {
  const s = {
    executing: 0, exempt: 0, queued: 0, reasons: [] as RejectReason[], waits: [] as boolean[],
    waited: (_: number, executed: boolean) => void s.waits.push(executed),
    rejected: (r: RejectReason) => void s.reasons.push(r),
  }
  return s
}

/** Waiters still queued when a test ends are answered by close() in its teardown. */
const none = (): void => undefined
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

t.test('a quiet flow arriving behind a noisy backlog gets the second free connection, not the last', async (t) => {
  const conns = new Busy(2)
  const g = new ShardGate({ limit: 2 }, conns)
  t.teardown(() => g.close())
  const served: string[] = []
  for (let i = 0; i < 20; i++) g.enter(() => served.push(`noisy${i}`), none, undefined, 'noisy')
  g.enter(() => served.push('quiet'), none, undefined, 'quiet')
  await turn()
  t.same(served, [], 'every connection is busy')
  for (let i = 0; i < 3; i++) {
    conns.release(i)
    await turn()
  }
  t.same(served, ['noisy0', 'quiet', 'noisy1'], 'one noisy request was served before it: the one whose turn it was')
})

t.test('without flows (fair queuing off) the queue is first in, first out', async (t) => {
  const conns = new Busy(1)
  const g = new ShardGate({ limit: 1 }, conns)
  t.teardown(() => g.close())
  const served: number[] = []
  for (let i = 0; i < 5; i++) g.enter(() => served.push(i), () => t.fail('no 429'))
  for (let i = 0; i < 5; i++) {
    conns.release(0)
    await turn()
  }
  t.same(served, [0, 1, 2, 3, 4])
})

t.test('one flow alone may fill the whole queue: the flow bound changes nothing until another flow competes', async (t) => {
  const s = stats()
  const g = new ShardGate({ limit: 1, size: 5, flowQueueLength: 2, stats: s }, new Busy(1))
  t.teardown(() => g.close())
  let expired = 0
  for (let i = 0; i < 5; i++) t.notOk(g.enter(none, () => expired++, undefined, 'bulk') instanceof ProxyError, `waiter ${i} queues`)
  t.match(g.enter(none, none, undefined, 'bulk'), { code: 'FP_TOO_MANY_REQUESTS', details: { retryAfterSeconds: 1 } }, 'the sixth: the queue is full')
  t.same([s.reasons, expired], [['flow-queue-full'], 0], 'no waiter was refused to make room')
  t.equal(g.queued, 5)
})

t.test('a full queue makes room for a flow within its bound: the newest waiter of the longest flow gets the 429', async (t) => {
  const s = stats()
  const g = new ShardGate({ limit: 1, size: 4, flowQueueLength: 2, stats: s }, new Busy(1))
  t.teardown(() => g.close())
  const refused: string[] = []
  const enter = (flow: string, name: string, limit?: number): boolean => {
    const r = g.enter(none, (e) => refused.push(`${name} ${e.code}`), undefined, flow, limit)
    if (r instanceof ProxyError) refused.push(`${name} at once`)
    return !(r instanceof ProxyError)
  }
  for (let i = 0; i < 4; i++) enter('noisy', `n${i}`)
  t.ok(enter('quiet', 'q0'), 'the quiet flow queues in a full queue')
  t.ok(enter('quiet', 'q1'), 'twice (its bound)')
  t.notOk(enter('quiet', 'q2'), 'past its bound it is refused itself')
  t.ok(enter('other', 'o0'), 'a third flow takes the place of the longest flow (noisy, first of the two with 2)')
  t.notOk(enter('other', 'o1'), 'no flow has more than one more than it would: the queue is shared evenly')
  t.notOk(enter('noisy', 'n4', 3), "within its own (mapping's) larger bound, but no flow is longer")
  t.notOk(enter('noisy', 'n5', 1), "past its own (mapping's) smaller bound")
  t.same(refused, ['n3 FP_TOO_MANY_REQUESTS', 'n2 FP_TOO_MANY_REQUESTS', 'q2 at once', 'n1 FP_TOO_MANY_REQUESTS', 'o1 at once', 'n4 at once', 'n5 at once'])
  t.same(s.reasons, ['flow-queue-full', 'flow-queue-full', 'flow-queue-full', 'flow-queue-full', 'queue-full', 'queue-full', 'flow-queue-full'])
  t.same([g.queued, s.queued], [4, 4])
})

t.test('the counters: executing while a connection is held, queued while waiting, waits observed', async (t) => {
  const s = stats()
  const conns = new Busy(1)
  conns.idle.push(0)
  const g = new ShardGate({ limit: 1, stats: s }, conns)
  t.teardown(() => g.close())
  let held: number | undefined
  g.enter((c) => (held = c), () => t.fail('no 429'), undefined, 'a')
  t.equal(held, 0)
  t.equal(s.executing, 1)
  const w = g.enter(() => t.fail('cancelled before it ran'), () => t.fail('no 429'), undefined, 'b')
  t.equal(s.queued, 1)
  if (w === undefined || w instanceof ProxyError) throw new Error('expected a waiter')
  g.cancel(w)
  t.equal(s.queued, 0)
  t.same(s.reasons, ['cancelled'])
  g.release(held ?? -1)
  t.equal(s.executing, 0)
  await turn()
  t.same(s.waits, [true, false], 'the first ran at once, the cancelled one never ran')
})

t.test('HTTP/2 slots: at most `size` requests run, the rest wait for a slot fairly', async (t) => {
  const slots = new StreamSlots(2, 'route')
  const g = new ShardGate<string>({ limit: 2 }, slots)
  t.teardown(() => g.close())
  const served: string[] = []
  for (let i = 0; i < 4; i++) g.enter(() => served.push(`n${i}`), none, undefined, 'noisy')
  g.enter(() => served.push('q'), none, undefined, 'quiet')
  t.same(served, ['n0', 'n1'], 'two slots, taken at once')
  t.equal(slots.busy, 2)
  g.release('route')
  await turn()
  g.release('route')
  await turn()
  t.same(served, ['n0', 'n1', 'n2', 'q'])
  t.throws(() => slots.open(), /cannot open/)
})
