import t from 'tap'
import { restartDelayMs } from '../../src/workers/pool.js'

t.test('a dying worker is restarted after a delay that doubles per death in a row, bounded at 10 s', async (t) => {
  const cases: [number, number][] = [[0, 100], [1, 100], [2, 200], [3, 400], [5, 1600], [7, 6400], [8, 10_000], [50, 10_000]]
  for (const [failures, want] of cases) t.equal(restartDelayMs(failures), want, `${failures} deaths in a row`)
})
