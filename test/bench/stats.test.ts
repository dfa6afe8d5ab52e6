// A benchmark window without a result (an h2load run killed before its summary) is NaN: missing. It must
// leave the medians and the paired ratios of the other runs as they are, never count as 0.
import t from 'tap'
import { median, percentile, perRunRatios } from '../../bench/lib/stats.js'

const cases: { name: string; xs: number[]; median: number; p25: number }[] = [
  { name: 'no samples', xs: [], median: NaN, p25: NaN },
  { name: 'only missing samples', xs: [NaN, NaN], median: NaN, p25: NaN },
  { name: 'odd count', xs: [3, 1, 2], median: 2, p25: 1 },
  { name: 'even count', xs: [4, 1, 3, 2], median: 2.5, p25: 1 },
  { name: 'a missing sample is left out, wherever it sits', xs: [3, NaN, 1, 2], median: 2, p25: 1 },
  { name: 'a zero is a sample', xs: [0, 2, 4], median: 2, p25: 0 },
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const same = (got: number, want: number): void => {
      if (Number.isNaN(want)) t.ok(Number.isNaN(got), `NaN, got ${got}`)
      else t.equal(got, want)
    }
    same(median(c.xs), c.median)
    same(percentile(c.xs, 25), c.p25)
  })
}

t.test('a window without a result drops its run from the paired ratios, on either side', async (t) => {
  t.same(perRunRatios([2, NaN, 3], [4, 4, 4]), [0.5, 0.75])
  t.same(perRunRatios([2, 2, 3], [4, NaN, 4]), [0.5, 0.75])
  t.equal(median(perRunRatios([NaN, 3, 2], [4, 4, 4])), 0.625)
})
