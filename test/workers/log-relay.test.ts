import t from 'tap'
import { IpcLogDestination, type Send } from '../../src/workers/log-relay.js'
import type { ToPrimary } from '../../src/workers/messages.js'

type Sent = Extract<ToPrimary, { t: 'log' }>

/** A channel that records what it is handed; `hold` keeps the completion callbacks until release(). */
function channel(o: { hold?: boolean } = {}): { send: Send; sent: Sent[]; release: () => void } {
  const sent: Sent[] = []
  const held: (() => void)[] = []
  const send: Send = (m, done) => {
    if (m.t === 'log') sent.push(m)
    if (o.hold === true) held.push(() => done(null))
    else done(null)
  }
  return { send, sent, release: () => { for (const h of held.splice(0)) h() } }
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r))
const line = (i: number, pad = 0): string => `{"i":${i}${' '.repeat(pad)}}\n`

t.test('request lines go in batches of batchBytes; other lines on the next turn, marked urgent, with what was gathered', async (t) => {
  const c = channel()
  const d = new IpcLogDestination(c.send, { batchBytes: 30, flushMs: 60_000, maxBufferedBytes: 1 << 20 })
  t.teardown(() => d.end(() => undefined))
  d.writeBatched(line(1, 10))
  t.same(c.sent, [], 'below a batch: held')
  d.writeBatched(line(2, 10))
  t.same(c.sent, [{ t: 'log', text: line(1, 10) + line(2, 10), urgent: false }], 'a full batch goes at once')
  d.writeBatched(line(3))
  d.write(line(4))
  t.equal(c.sent.length, 1, 'an urgent line waits for the next turn')
  await nextTurn()
  t.same(c.sent[1], { t: 'log', text: line(3) + line(4), urgent: true }, 'in order, with the gathered request line')
})

t.test('past maxBufferedBytes (gathered plus not yet taken by the channel) lines are dropped, counted and reported', async (t) => {
  const c = channel({ hold: true })
  const d = new IpcLogDestination(c.send, { batchBytes: 20, flushMs: 60_000, maxBufferedBytes: 30 })
  d.writeBatched(line(1, 12)) // 20 chars: sent, held by the channel
  t.equal(d.writeBatched(line(2, 12)), false, 'a second one would exceed the bound')
  t.equal(d.dropped, 1)
  c.release()
  t.equal(d.writeBatched(line(3, 12)), true, 'room again once the channel took the first')
  t.match(c.sent[1]?.text, /^\{"level":40,"time":\d+,"msg":"log lines dropped: the destination could not keep up or failed","dropped":1\}\n\{"i":3/, 'the count leads the next batch')
  let ended = false
  d.end(() => { ended = true })
  c.release()
  t.ok(ended, 'end() calls back once the channel took the last lines')
})

t.test('flush(cb), as pino calls it, sends everything at once and calls back', async (t) => {
  const c = channel()
  const d = new IpcLogDestination(c.send, { batchBytes: 1000, flushMs: 60_000, maxBufferedBytes: 1 << 20 })
  t.teardown(() => d.end(() => undefined))
  d.writeBatched(line(1))
  let called = false
  d.flush(() => { called = true })
  t.ok(called)
  t.same(c.sent, [{ t: 'log', text: line(1), urgent: true }])
})
