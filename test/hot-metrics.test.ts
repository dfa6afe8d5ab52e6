// Hot series must be indistinguishable from prom-client's own inc()/observe(): the same /metrics
// bytes after the same operations, on the installed prom-client (an upgrade that changes its
// internals fails here).
import t from 'tap'
import { Counter, Histogram, Registry } from 'prom-client'
import { hotCounter, hotHistogram } from '../src/hot-metrics.js'

type Op = { kind: 'value'; labels: Record<string, string>; v: number } | { kind: 'plain'; labels: Record<string, string>; v: number } | { kind: 'reset' }

function pair(): { plain: Registry; hot: Registry; make: (r: Registry) => { c: Counter<string>; h: Histogram<string> } } {
  const make = (r: Registry): { c: Counter<string>; h: Histogram<string> } => ({
    c: new Counter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'], registers: [r] }),
    h: new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['a', 'b'], buckets: [0.001, 0.01, 0.1, 1], registers: [r] }),
  })
  return { plain: new Registry(), hot: new Registry(), make }
}

const x = { a: 'x', b: '1' }
const y = { b: '2', a: 'y' }
const cases: { name: string; ops: Op[] }[] = [
  { name: 'nothing recorded: no series', ops: [] },
  { name: 'one series, values below, on and above every bound, and zero', ops: [0, 0.0005, 0.001, 0.002, 0.01, 0.5, 1, 1.5, 1000].map((v) => ({ kind: 'value', labels: x, v })) },
  { name: 'two series, label order in the object ignored', ops: [{ kind: 'value', labels: x, v: 0.2 }, { kind: 'value', labels: y, v: 0.02 }, { kind: 'value', labels: x, v: 3 }] },
  { name: 'reset() between: the series starts again from zero', ops: [{ kind: 'value', labels: x, v: 0.2 }, { kind: 'reset' }, { kind: 'value', labels: x, v: 0.005 }] },
  { name: 'a series recorded the ordinary way first keeps its counts', ops: [{ kind: 'plain', labels: x, v: 0.2 }, { kind: 'value', labels: x, v: 0.005 }, { kind: 'plain', labels: x, v: 2 }] },
]

for (const c of cases) {
  t.test(`hot series equal prom-client's own recording: ${c.name}`, async (t) => {
    const { plain, hot, make } = pair()
    const p = make(plain)
    const h = make(hot)
    const series = new Map<string, { c: ReturnType<typeof hotCounter>; h: ReturnType<typeof hotHistogram> }>()
    // Two hot series of one label set (two Authentication instances on one registry) share it.
    const hotOf = (labels: Record<string, string>, n: number) => {
      const key = JSON.stringify([labels.a, labels.b, n])
      let s = series.get(key)
      if (s === undefined) series.set(key, (s = { c: hotCounter(h.c, labels), h: hotHistogram(h.h, labels) }))
      return s
    }
    let n = 0
    for (const op of c.ops) {
      if (op.kind === 'reset') {
        p.c.reset(); p.h.reset(); h.c.reset(); h.h.reset()
        continue
      }
      p.c.inc(op.labels, 1 + op.v)
      p.h.observe(op.labels, op.v)
      if (op.kind === 'plain') {
        h.c.inc(op.labels, 1 + op.v)
        h.h.observe(op.labels, op.v)
      } else {
        const s = hotOf(op.labels, n++ % 2)
        s.c.inc(1 + op.v)
        s.h.observe(op.v)
      }
    }
    t.equal(await hot.metrics(), await plain.metrics())
  })
}

t.test('a hot counter without an argument adds one, as inc() does', async (t) => {
  const r = new Registry()
  const c = new Counter({ name: 'n_total', help: 'n', labelNames: ['k'], registers: [r] })
  const s = hotCounter(c, { k: 'v' })
  s.inc()
  s.inc()
  t.match(await r.metrics(), /n_total\{k="v"\} 2\n/)
})
