// The fair queue's order: flows take turns, one item each; each flow is FIFO; forgotten items cost no turn.
import t from 'tap'
import { FairQueue } from '../../../src/proxy/fairness/fair-queue.js'

interface Item { name: string; flow: object | undefined }
const item = (name: string): Item => ({ name, flow: undefined })

/** Pushes `arrivals` ("flow:name" each) in order, forgets `forgotten`, and returns the order of shift(). */
function order(arrivals: string[], forgotten: string[] = []): string[] {
  const q = new FairQueue<Item>()
  const byName = new Map<string, Item>()
  for (const a of arrivals) {
    const [flow, name] = a.split(':')
    const it = item(name)
    byName.set(name, it)
    q.push(flow, it)
  }
  for (const f of forgotten) q.forget(byName.get(f)!)
  const out: string[] = []
  for (let it = q.shift(); it !== undefined; it = q.shift()) out.push(it.name)
  if (q.length !== 0) throw new Error(`length ${q.length} after draining`)
  return out
}

const cases: { name: string; arrivals: string[]; forgotten?: string[]; want: string[] }[] = [
  { name: 'one flow is first in, first out', arrivals: ['a:1', 'a:2', 'a:3'], want: ['1', '2', '3'] },
  { name: 'a flow arriving behind a long backlog is served second', arrivals: ['noisy:n1', 'noisy:n2', 'noisy:n3', 'noisy:n4', 'quiet:q1'], want: ['n1', 'q1', 'n2', 'n3', 'n4'] },
  { name: 'three flows take turns in the order they first arrived', arrivals: ['a:a1', 'a:a2', 'b:b1', 'c:c1', 'b:b2', 'c:c2'], want: ['a1', 'b1', 'c1', 'a2', 'b2', 'c2'] },
  { name: 'a forgotten item costs its flow no turn', arrivals: ['a:a1', 'a:a2', 'b:b1'], forgotten: ['a1'], want: ['a2', 'b1'] },
  { name: 'a flow whose items were all forgotten leaves the turns', arrivals: ['a:a1', 'b:b1', 'b:b2'], forgotten: ['a1'], want: ['b1', 'b2'] },
  { name: 'the empty flow name is a flow like any other', arrivals: [':x1', ':x2', 'u:u1'], want: ['x1', 'u1', 'x2'] },
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    t.same(order(c.arrivals, c.forgotten), c.want)
  })
}

t.test('a quiet flow waits behind at most one item of each other flow, however long their backlogs', async (t) => {
  const q = new FairQueue<Item>()
  for (let i = 0; i < 500; i++) q.push('noisy', item(`n${i}`))
  for (let i = 0; i < 500; i++) q.push('loud', item(`l${i}`))
  q.push('quiet', item('q'))
  const before: string[] = []
  for (let it = q.shift(); it !== undefined && it.name !== 'q'; it = q.shift()) before.push(it.name)
  t.same(before, ['n0', 'l0'])
})

t.test('counts: length, waitingIn and flows follow push, shift and forget', async (t) => {
  const q = new FairQueue<Item>()
  const a1 = item('a1')
  q.push('a', a1)
  q.push('a', item('a2'))
  q.push('b', item('b1'))
  t.equal(q.length, 3)
  t.equal(q.waitingIn('a'), 2)
  t.equal(q.flows, 2)
  q.forget(a1)
  q.forget(a1)
  t.equal(q.waitingIn('a'), 1, 'forget is idempotent')
  t.equal(q.peek()?.name, 'a2', 'peek skips the forgotten item')
  q.shift()
  t.equal(q.waitingIn('a'), 0)
  t.equal(q.flows, 1, 'a flow with nothing waiting is dropped once its turn passes')
  t.equal(q.length, 1)
})

t.test('takeWhile takes the due items from the head of every flow, in arrival order within each', async (t) => {
  const q = new FairQueue<Item & { due: boolean }>()
  const push = (flow: string, name: string, due: boolean): void => q.push(flow, { name, due, flow: undefined })
  push('a', 'a1', true)
  push('a', 'a2', true)
  push('a', 'a3', false)
  push('b', 'b1', false)
  push('b', 'b2', true)
  t.same(q.takeWhile((i) => i.due).map((i) => i.name), ['a1', 'a2'], 'b2 is behind a waiting b1, so not at a head')
  t.equal(q.length, 3)
  t.same([...q.heads()].map((i) => i.name).sort(), ['a3', 'b1'])
})

t.test('evictNewest takes the newest live item of the longest flow, and only from a flow longer than asked', async (t) => {
  const q = new FairQueue<Item>()
  const a3 = item('a3')
  for (const it of [item('a1'), item('a2'), a3]) q.push('a', it)
  q.push('b', item('b1'))
  q.push('b', item('b2'))
  q.forget(a3)
  t.equal(q.evictNewest(3), undefined, 'no flow has more than 3 waiting')
  t.equal(q.evictNewest(1)?.name, 'a2', 'a and b both have 2 waiting: the first found; the forgotten a3 is skipped')
  t.same([q.length, q.waitingIn('a'), q.waitingIn('b')], [3, 1, 2])
  t.equal(q.evictNewest(1)?.name, 'b2', 'now b is the longest')
  const out: string[] = []
  for (let it = q.shift(); it !== undefined; it = q.shift()) out.push(it.name)
  t.same(out, ['a1', 'b1'], 'the rest keep their turns')
})
