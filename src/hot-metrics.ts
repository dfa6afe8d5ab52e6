// Bound series for the per-request hot path. prom-client's labelled children (`labels(...)`)
// still hash and validate the label set on every inc() and observe(); on a cached workspace token
// that was about a third of the proxy's authentication CPU (213 of 590 profile samples). A hot series resolves its label set
// once and updates prom-client's own record of it in place, so /metrics output, reset() and
// every other API behave exactly as if inc()/observe() had been called. It relies on prom-client
// 15's record shapes ({value} for counters, {bucketValues, sum, count} for histograms);
// test/hot-metrics.test.ts compares both ways of recording byte for byte, so an upgrade that
// changes them fails there, not in production.
import type { Counter, Histogram } from 'prom-client'

type Labels = Record<string, string>
interface CounterRecord { value: number; labels: Labels }
interface HistogramRecord { labels: Labels; bucketValues: Record<number, number>; sum: number; count: number }
/** The prom-client internals read here (present in 15.x). */
interface Internals<R> { hashMap: Record<string, R> }

export interface HotCounter { inc(n?: number): void }
export interface HotHistogram { observe(seconds: number): void }

const sameLabels = (a: Labels, b: Labels): boolean => {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k])
}

function find<R extends { labels: Labels }>(metric: Internals<R>, labels: Labels): R | undefined {
  for (const r of Object.values(metric.hashMap)) if (sameLabels(r.labels, labels)) return r
  return undefined
}

function recordOf<R extends { labels: Labels }>(metric: Internals<R>, labels: Labels): R {
  const r = find(metric, labels)
  if (r === undefined) throw new Error('hot-metrics: prom-client did not create the series (its internals changed)')
  return r
}

/** A counter series; inc() as `counter.inc(labels, n)`. */
export function hotCounter(counter: Counter<string>, labels: Labels): HotCounter {
  const metric = counter as unknown as Internals<CounterRecord>
  let map: object | undefined
  let record!: CounterRecord
  const bind = (): void => {
    counter.inc(labels, 0) // creates the series at 0 (prom-client adds 0, does not default it to 1)
    map = metric.hashMap
    record = recordOf(metric, labels)
  }
  return {
    inc(n = 1) {
      // reset() replaces the map: bind again so the series reappears as inc() would make it.
      if (metric.hashMap !== map) bind()
      record.value += n
    },
  }
}

/** A histogram series; observe() as `histogram.observe(labels, v)`. */
export function hotHistogram(histogram: Histogram<string>, labels: Labels): HotHistogram {
  const metric = histogram as unknown as Internals<HistogramRecord> & { upperBounds: readonly number[] }
  const bounds = metric.upperBounds
  let map: object | undefined
  let record!: HistogramRecord
  const bind = (): void => {
    // zero() would wipe a series someone already recorded into; create it only when missing.
    if (find(metric, labels) === undefined) histogram.zero(labels)
    map = metric.hashMap
    record = recordOf(metric, labels)
  }
  return {
    observe(v) {
      if (metric.hashMap !== map) bind()
      record.sum += v
      record.count += 1
      // Above the last bound only +Inf (the count) moves, as prom-client does.
      for (let i = 0; i < bounds.length; i++) {
        if (v <= bounds[i]) {
          record.bucketValues[bounds[i]] += 1
          break
        }
      }
    },
  }
}
