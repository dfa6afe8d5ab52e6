import t from 'tap'
import { availableCpus, cpusFromCpuMax } from '../../src/workers/cpus.js'

t.test('cgroup v2 cpu.max: CPUs the quota allows, rounded up, never below 1', async (t) => {
  const cases: [string | undefined, number | undefined][] = [
    [undefined, undefined], // no cgroup v2 file
    ['max 100000\n', undefined], // no limit
    ['max\n', undefined],
    ['200000 100000\n', 2],
    ['100000 100000', 1],
    ['150000 100000\n', 2], // 1.5 CPUs: a second, throttled worker
    ['50000 100000\n', 1], // 500m
    ['1000 100000\n', 1],
    ['400000 50000\n', 8],
    ['300000\n', 3], // period omitted: the kernel's 100 ms
    ['', undefined],
    ['garbage 100000\n', undefined],
    ['0 100000\n', undefined],
    ['-1 100000\n', undefined],
    ['100000 0\n', undefined],
    ['100000 100000 extra\n', undefined],
  ]
  for (const [content, want] of cases) t.equal(cpusFromCpuMax(content), want, JSON.stringify(content))
})

t.test('available CPUs: the smaller of the scheduler parallelism and the cgroup quota', async (t) => {
  const cases: [number, string | undefined, number][] = [
    [8, undefined, 8],
    [8, 'max 100000', 8],
    [8, '200000 100000', 2],
    [2, '800000 100000', 2],
    [1, '50000 100000', 1],
    [0, undefined, 1],
  ]
  for (const [parallelism, cpuMax, want] of cases) t.equal(availableCpus({ parallelism, cpuMax }), want, `${parallelism} CPUs, cpu.max ${JSON.stringify(cpuMax)}`)
  t.ok(availableCpus() >= 1, 'this machine: at least one')
})
