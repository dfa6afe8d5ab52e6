import t from 'tap'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { aggregateMetrics, ClusterRegistry } from '../../src/workers/metrics-aggregate.js'

/** One process's registry: a counter, a gauge, a histogram, and the start time and fd limit families. */
function processRegistry(o: { requests: number; watches: number; durations: number[]; start: number; maxFds: number }): Registry {
  const r = new Registry()
  new Counter({ name: 'reqs_total', help: 'h', labelNames: ['code'], registers: [r] }).inc({ code: '200' }, o.requests)
  new Gauge({ name: 'kcp_front_proxy_active_watches', help: 'h', registers: [r] }).set(o.watches)
  const h = new Histogram({ name: 'dur_seconds', help: 'h', buckets: [0.1, 1], registers: [r] })
  for (const d of o.durations) h.observe(d)
  new Gauge({ name: 'process_start_time_seconds', help: 'h', registers: [r] }).set(o.start)
  new Gauge({ name: 'process_max_fds', help: 'h', registers: [r] }).set(o.maxFds)
  return r
}

const value = (text: string, series: string): number | undefined => {
  const l = text.split('\n').find((x) => x.startsWith(`${series} `))
  return l === undefined ? undefined : Number(l.slice(series.length + 1))
}

t.test('the aggregate sums counters, gauges and histogram buckets; limits and the start time are the first process’s', async (t) => {
  const primary = processRegistry({ requests: 0, watches: 0, durations: [], start: 1000, maxFds: 1024 })
  const w1 = processRegistry({ requests: 3, watches: 2, durations: [0.05, 0.5], start: 1001, maxFds: 1024 })
  const w2 = processRegistry({ requests: 4, watches: 5, durations: [0.05, 2], start: 1002, maxFds: 1024 })
  const text = await aggregateMetrics([await primary.getMetricsAsJSON(), await w1.getMetricsAsJSON(), await w2.getMetricsAsJSON()])
  const cases: [string, number][] = [
    ['reqs_total{code="200"}', 7],
    ['kcp_front_proxy_active_watches', 7],
    ['dur_seconds_bucket{le="0.1"}', 2],
    ['dur_seconds_bucket{le="1"}', 3],
    ['dur_seconds_bucket{le="+Inf"}', 4],
    ['dur_seconds_count', 4],
    ['process_start_time_seconds', 1000],
    ['process_max_fds', 1024],
  ]
  for (const [series, want] of cases) t.equal(value(text, series), want, series)
})

t.test('a worker registry answers metrics() with the aggregate and keeps its own families for collection', async (t) => {
  const r = new ClusterRegistry(async () => 'aggregate\n')
  new Counter({ name: 'mine_total', help: 'h', registers: [r] }).inc(2)
  t.equal(await r.metrics(), 'aggregate\n')
  t.match(await r.localMetrics(), /^mine_total 2$/m)
  t.equal((await r.getMetricsAsJSON())[0]?.name, 'mine_total')
})
