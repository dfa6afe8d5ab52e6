import t from 'tap'
import { Fifo } from '../../src/proxy/fifo.js'

t.test('items leave in the order they came; peek leaves them in place', async (t) => {
  const q = new Fifo<number>()
  t.equal(q.shift(), undefined, 'empty')
  for (const n of [1, 2, 3]) q.push(n)
  t.equal(q.peek(), 1)
  t.equal(q.length, 3)
  t.same([q.shift(), q.shift()], [1, 2])
  q.push(4)
  t.same([q.shift(), q.shift(), q.shift()], [3, 4, undefined])
  t.equal(q.length, 0)
})

t.test('a long queue drained from the head keeps its order across compactions', async (t) => {
  const q = new Fifo<number>()
  const out: number[] = []
  for (let n = 0; n < 5000; n++) {
    q.push(n)
    if (n % 3 === 0) out.push(q.shift()!)
  }
  while (q.length > 0) out.push(q.shift()!)
  t.same(out, Array.from({ length: 5000 }, (_, i) => i))
})

t.test('find returns the first match from the head without removing anything', async (t) => {
  const q = new Fifo<number>()
  for (const n of [1, 2, 3, 4]) q.push(n)
  q.shift()
  t.equal(q.find((n) => n % 2 === 1), 3)
  t.equal(q.find((n) => n > 9), undefined)
  t.equal(q.length, 3)
})

t.test('pop takes the newest item; the queue stays in order for shift', async (t) => {
  const q = new Fifo<number>()
  t.equal(q.pop(), undefined, 'empty')
  for (const n of [1, 2, 3, 4]) q.push(n)
  q.shift()
  t.equal(q.pop(), 4)
  t.same([q.shift(), q.pop(), q.pop(), q.shift()], [2, 3, undefined, undefined])
  t.equal(q.length, 0)
  q.push(5)
  t.same([q.peek(), q.length], [5, 1], 'usable again after being emptied from both ends')
})
