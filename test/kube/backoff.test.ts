import t from 'tap'
import { Backoff, type Clock } from '../../src/kube/backoff.js'

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000
  return { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined, advance: (ms) => void (now += ms) }
}

t.test('delays double from 800 ms and cap at 30 s (no jitter)', async (t) => {
  const b = new Backoff({ jitter: 0 }, fakeClock(), () => 0.5)
  const got = Array.from({ length: 8 }, () => b.fail())
  t.same(got, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000])
})

t.test('jitter stretches by up to the given fraction and never exceeds the cap', async (t) => {
  const cases = [
    { random: 0, want: [800, 1600] },
    { random: 0.999999, want: [1200, 2400] },
  ]
  for (const c of cases) {
    const b = new Backoff({}, fakeClock(), () => c.random)
    t.same([b.fail(), b.fail()], c.want, `random=${c.random}`)
  }
  const capped = new Backoff({ maxMs: 1000 }, fakeClock(), () => 0.999)
  for (let i = 0; i < 5; i++) t.ok(capped.fail() <= 1000)
})

t.test('failures are forgotten after resetAfterMs without a failure', async (t) => {
  const clock = fakeClock()
  const b = new Backoff({ jitter: 0 }, clock)
  b.fail()
  b.fail()
  clock.advance(119_000)
  t.equal(b.fail(), 3200, 'still growing within 2 min')
  clock.advance(120_000)
  t.equal(b.fail(), 800, 'reset after 2 min healthy')
})
