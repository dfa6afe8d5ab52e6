import t from 'tap'
import type { Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogDestination } from '../../src/server/log-destination.js'
import { elapse, eventually } from '../fixtures/eventually.js'
import { withoutCoverage } from '../fixtures/coverage.js'

const tmp = (t: Test): string => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-logdest-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
const line = (n: number | string): string => `{"n":${JSON.stringify(n)}}\n`
const ns = (text: string): unknown[] => text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { n?: unknown; dropped?: number }).n ?? 'report')

t.test('lines other than request lines (startup, warnings, errors) are written on the next turn, taking gathered request lines along', async (t) => {
  const file = join(tmp(t), 'now.log')
  const d = new LogDestination(file, { batchBytes: 1 << 20, flushMs: 60_000, maxBufferedBytes: 1 << 20 })
  t.teardown(() => d.end())
  d.writeBatched(line(1))
  d.write(line('serving'))
  t.ok(await eventually('written without waiting for a batch or the timer', () => readFileSync(file, 'utf8').length > 0, { timeoutMs: 10_000 }), 'written without waiting for a batch or the timer')
  t.same(ns(readFileSync(file, 'utf8')), [1, 'serving'], 'in order, the request line first')
})

t.test('request lines are written in batches, in order, and end() writes the rest and emits close', async (t) => {
  const file = join(tmp(t), 'a.log')
  const d = new LogDestination(file, { batchBytes: 1024, flushMs: 60_000, maxBufferedBytes: 1 << 20 })
  d.writeBatched(line(0))
  await elapse(30) // a window in which the short line must NOT be written (an immediate write lands within it)
  t.equal(readFileSync(file, 'utf8'), '', 'a short line waits for its batch')
  for (let i = 1; i <= 500; i++) d.writeBatched(line(i))
  t.ok(await eventually('a full batch is written without waiting for the timer', () => readFileSync(file, 'utf8').length > 0, { timeoutMs: 10_000 }), 'a full batch is written without waiting for the timer')
  d.writeBatched(line('last'))
  await new Promise<void>((resolve) => { d.once('close', () => resolve()); d.end() })
  const got = ns(readFileSync(file, 'utf8'))
  t.same(got, [...Array.from({ length: 501 }, (_v, i) => i), 'last'], 'every line once, in order')
  t.equal(d.writeBatched(line('after')), false, 'writes after close are refused, not thrown')
})

t.test('the flush interval writes a lone line', async (t) => {
  const file = join(tmp(t), 'b.log')
  const d = new LogDestination(file, { batchBytes: 1 << 20, flushMs: 50, maxBufferedBytes: 1 << 20 })
  t.teardown(() => d.end())
  d.writeBatched(line(1))
  t.ok(await eventually('written by the timer', () => readFileSync(file, 'utf8') === line(1), { timeoutMs: 10_000 }), 'written by the timer')
})

t.test('a reader that stops reading (full non-blocking pipe) never blocks the writer: lines beyond the cap are dropped, counted and reported', async (t) => {
  const fifo = join(tmp(t), 'fifo')
  execFileSync('mkfifo', [fifo])
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
  t.teardown(() => { closeSync(reader); closeSync(writer) })
  const d = new LogDestination(writer, { batchBytes: 4096, flushMs: 20, maxBufferedBytes: 256 * 1024 })
  t.teardown(() => d.end())
  const payload = 'x'.repeat(200)
  const started = performance.now()
  const total = 3000 // ~650 KB: more than the pipe (64 KiB) plus the cap
  for (let i = 0; i < total; i++) d.writeBatched(`{"n":${i},"p":"${payload}"}\n`)
  t.ok(performance.now() - started < 5000, 'writing never waited for the reader')
  t.ok(await eventually('lines beyond the cap were dropped', () => d.dropped > 0, { timeoutMs: 10_000 }), 'lines beyond the cap were dropped')
  const dropped = d.dropped
  // Drain the pipe until the report line arrives; bounded in reads and time.
  let text = ''
  const buf = Buffer.alloc(65536)
  const deadline = Date.now() + 5000
  while (!text.includes('"dropped"') && Date.now() < deadline) {
    try {
      const n = readSync(reader, buf)
      text += buf.toString('utf8', 0, n)
    } catch {
      await elapse(5) // EAGAIN: nothing to read yet; the loop is bounded by the deadline
    }
  }
  const report = text.split('\n').find((l) => l.includes('"dropped"'))
  t.ok(report, 'the drop is reported in the log itself once the reader catches up')
  t.equal((JSON.parse(report ?? '{}') as { dropped?: number }).dropped, dropped, 'with the number of lines lost')
  const seen = text.slice(0, text.lastIndexOf('\n')).split('\n').filter((l) => l.startsWith('{"n"')).map((l) => (JSON.parse(l) as { n: number }).n)
  t.same(seen, [...seen].sort((a, b) => a - b), 'the lines that were written are in order')
})

t.test('a destination that fails (reader gone) costs batches, not the process', async (t) => {
  const fifo = join(tmp(t), 'fifo')
  execFileSync('mkfifo', [fifo])
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
  t.teardown(() => closeSync(writer))
  closeSync(reader) // every write now fails with EPIPE
  const d = new LogDestination(writer, { batchBytes: 64, flushMs: 20, maxBufferedBytes: 1 << 20 })
  t.teardown(() => d.end())
  for (let i = 0; i < 10; i++) d.writeBatched(line(i))
  t.ok(await eventually('the failed lines are counted as dropped', () => d.dropped >= 10, { timeoutMs: 10_000 }), 'the failed lines are counted as dropped')
  let closed = false
  d.once('close', () => { closed = true })
  d.end()
  t.ok(await eventually('and end() still closes it', () => closed, { timeoutMs: 10_000 }), 'and end() still closes it')
})

t.test('lines still gathered when the process exits are written before it ends', async (t) => {
  const file = join(tmp(t), 'exit.log')
  const src = join(process.cwd(), 'src/server/log-destination.ts')
  const code = `import { LogDestination } from ${JSON.stringify(src)}
const d = new LogDestination(${JSON.stringify(file)}, { batchBytes: 1 << 20, flushMs: 60000, maxBufferedBytes: 1 << 22 })
for (let i = 0; i < 1000; i++) d.writeBatched('{"n":' + i + '}\\n')
process.exit(0)`
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 30_000, env: withoutCoverage() })
  t.same(ns(readFileSync(file, 'utf8')), Array.from({ length: 1000 }, (_v, i) => i), 'all 1,000 lines, in order')
})
