import t from 'tap'
import { changeTime } from '../../src/controller/metrics.js'

t.test('changeTime uses only sub-second, recent timestamps', async (t) => {
  const now = Date.parse('2026-01-01T00:00:10.500Z')
  const cases: { name: string; ts: string | undefined; want: number }[] = [
    { name: 'no timestamp', ts: undefined, want: now },
    { name: 'second resolution (would inflate lag by up to 1 s)', ts: '2026-01-01T00:00:10Z', want: now },
    { name: 'sub-second and recent', ts: '2026-01-01T00:00:10.250Z', want: now - 250 },
    { name: 'microseconds', ts: '2026-01-01T00:00:10.250000Z', want: now - 250 },
    { name: 'in the future (clock skew)', ts: '2026-01-01T00:00:11.000Z', want: now },
    { name: 'older than a minute (a relisted old object)', ts: '2025-12-31T23:58:00.100Z', want: now },
    { name: 'garbage', ts: 'yesterday.5Z', want: now },
  ]
  for (const c of cases) t.equal(changeTime(c.ts, now), c.want, c.name)
})
