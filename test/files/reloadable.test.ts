import t, { type Test } from 'tap'
import { EventEmitter } from 'node:events'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { clampMs, DEBOUNCE_MS, POLL_MS, ReloadableFile, type CheckOutcome, type ReloadProblem, type WatchFn } from '../../src/files/reloadable.js'
import { eventually } from '../fixtures/eventually.js'

const REMOVE = Symbol('remove the file')

interface Rig {
  file: string
  r: ReloadableFile<string>
  changes: string[]
  problems: ReloadProblem[]
  outcomes: CheckOutcome[]
  /** Delivers one directory event, as the watcher would. */
  fire(): void
  write(content: string | typeof REMOVE): void
}

/** A file holding 'v0', a ReloadableFile on it whose parse refuses content starting with 'bad'. */
function rig(t: Test, o: { debounceMs?: number; pollMs?: number; watch?: WatchFn } = {}): Rig {
  const dir = t.testdir()
  const file = join(dir, 'value.txt')
  writeFileSync(file, 'v0')
  const changes: string[] = []
  const problems: ReloadProblem[] = []
  const outcomes: CheckOutcome[] = []
  let onEvent: (() => void) | undefined
  const capture: WatchFn = (_dir, _files, cb) => {
    onEvent = cb
    return { close: () => undefined, on: () => undefined }
  }
  const r = new ReloadableFile<string>({
    files: [file],
    initial: { value: 'v0', contents: ['v0'] },
    parse: ([c]) => {
      if (c.startsWith('bad')) throw new Error(`refused ${c}`)
      return c
    },
    onChange: (v) => changes.push(v),
    onProblem: (p) => problems.push(p),
    onCheck: (c) => outcomes.push(c),
    debounceMs: o.debounceMs ?? 0,
    pollMs: o.pollMs ?? POLL_MS.max,
    watch: o.watch ?? capture,
  })
  t.teardown(() => r.close())
  return {
    file,
    r,
    changes,
    problems,
    outcomes,
    fire: () => onEvent?.(),
    write: (c) => (c === REMOVE ? rmSync(file) : writeFileSync(file, c)),
  }
}

t.test('each check compares content: only a different, valid file is swapped in and announced', async (t) => {
  const cases: { name: string; writes: (string | typeof REMOVE)[]; outcomes: CheckOutcome[]; changes: string[]; value: string; problems: string[] }[] = [
    { name: 'unchanged content (rewritten) is not re-notified', writes: ['v0', 'v0'], outcomes: ['unchanged', 'unchanged'], changes: [], value: 'v0', problems: [] },
    { name: 'new content is announced once, not again while it stays', writes: ['v1', 'v1'], outcomes: ['changed', 'unchanged'], changes: ['v1'], value: 'v1', problems: [] },
    { name: 'every distinct content is announced in turn', writes: ['v1', 'v2', 'v0'], outcomes: ['changed', 'changed', 'changed'], changes: ['v1', 'v2', 'v0'], value: 'v0', problems: [] },
    { name: 'a read error keeps the last good value and reports it', writes: ['v1', REMOVE], outcomes: ['changed', 'unreadable'], changes: ['v1'], value: 'v1', problems: ['unreadable'] },
    { name: 'the file coming back with the served content is no change', writes: [REMOVE, 'v0'], outcomes: ['unreadable', 'unchanged'], changes: [], value: 'v0', problems: ['unreadable'] },
    { name: 'refused content keeps the last good value and reports it', writes: ['bad1'], outcomes: ['rejected'], changes: [], value: 'v0', problems: ['rejected'] },
    { name: 'refused content is retried, and its fix is taken', writes: ['bad1', 'bad1', 'v3'], outcomes: ['rejected', 'rejected', 'changed'], changes: ['v3'], value: 'v3', problems: ['rejected', 'rejected'] },
  ]
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const x = rig(t)
      for (const w of c.writes) {
        x.write(w)
        await x.r.check()
      }
      t.same(x.outcomes, c.outcomes, 'outcomes')
      t.same(x.changes, c.changes, 'announced values')
      t.equal(x.r.value, c.value, 'value served')
      t.same(x.problems.map((p) => p.kind), c.problems, 'problems reported')
      for (const p of x.problems) t.type(p.error, Error, 'with the error')
    })
  }
})

t.test('a burst of directory events within the debounce time is one check', async (t) => {
  const x = rig(t, { debounceMs: 100 })
  x.write('v1')
  for (let i = 0; i < 10; i++) x.fire()
  t.same(x.outcomes, [], 'nothing read before the quiet time')
  await eventually('the debounced check', () => x.outcomes.length > 0)
  // An explicit check after it is the second; a burst checked per event would have queued more.
  await x.r.check()
  t.same(x.outcomes, ['changed', 'unchanged'])
  t.same(x.changes, ['v1'])
})

t.test('a check asked for during a running check runs once more after it, never more', async (t) => {
  const x = rig(t)
  x.write('v1')
  const first = x.r.check()
  const more = [x.r.check(), x.r.check(), x.r.check()]
  t.equal(more[0], more[2], 'the later calls share one queued check')
  await Promise.all([first, ...more])
  t.same(x.outcomes, ['changed', 'unchanged'])
})

t.test('when fs.watch throws, the problem is reported and polling still reloads', async (t) => {
  const refuse: WatchFn = () => {
    throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' })
  }
  const x = rig(t, { watch: refuse, pollMs: POLL_MS.min })
  t.equal(x.r.watching, 0)
  t.same(x.problems.map((p) => [p.kind, p.dir]), [['watch-failed', join(x.file, '..')]])
  x.write('v1')
  await eventually('the polled change', () => x.changes.length > 0)
  t.equal(x.r.value, 'v1')
})

t.test('a watcher that fails later is closed and reported, and polling takes over', async (t) => {
  const watcher = Object.assign(new EventEmitter(), { closed: false, close: () => (watcher.closed = true) })
  const x = rig(t, { watch: () => watcher, pollMs: POLL_MS.min })
  t.equal(x.r.watching, 1)
  watcher.emit('error', new Error('EPERM'))
  t.ok(watcher.closed, 'the dead watcher is closed')
  t.equal(x.r.watching, 0)
  t.same(x.problems.map((p) => p.kind), ['watch-failed'])
  x.write('v1')
  await eventually('the polled change', () => x.changes.length > 0)
})

t.test('with the real fs.watch a write is noticed without the poll', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'value.txt')
  writeFileSync(file, 'v0')
  const changes: string[] = []
  const r = new ReloadableFile<string>({ files: [file], initial: { value: 'v0', contents: ['v0'] }, parse: ([c]) => c, onChange: (v) => changes.push(v), onProblem: () => undefined, pollMs: POLL_MS.max })
  t.teardown(() => r.close())
  t.equal(r.watching, 1)
  writeFileSync(file, 'v1')
  await eventually('the watched change', () => changes.length > 0)
  t.same(changes, ['v1'])
})

t.test('a listener that throws is reported; the new value stays in place', async (t) => {
  const dir = t.testdir({ 'v.txt': 'v0' })
  const problems: ReloadProblem[] = []
  const r = new ReloadableFile<string>({
    files: [join(dir, 'v.txt')],
    initial: { value: 'v0', contents: ['v0'] },
    parse: ([c]) => c,
    onChange: () => {
      throw new Error('listener broke')
    },
    onProblem: (p) => problems.push(p),
    watch: () => ({ close: () => undefined, on: () => undefined }),
  })
  t.teardown(() => r.close())
  writeFileSync(join(dir, 'v.txt'), 'v1')
  await r.check()
  t.equal(r.value, 'v1')
  t.same(problems.map((p) => p.kind), ['notify-failed'])
})

t.test('after close nothing is read or announced', async (t) => {
  const x = rig(t)
  x.r.close()
  x.write('v1')
  x.fire()
  await x.r.check()
  t.same(x.outcomes, [])
  t.equal(x.r.value, 'v0')
})

t.test('timing knobs are clamped to their documented bounds', async (t) => {
  const cases: [string, number | undefined, typeof DEBOUNCE_MS | typeof POLL_MS, number][] = [
    ['unset debounce is the default', undefined, DEBOUNCE_MS, 200],
    ['a negative debounce is none', -5, DEBOUNCE_MS, 0],
    ['a huge debounce is 10 s', 1e9, DEBOUNCE_MS, 10_000],
    ['unset poll is a minute', undefined, POLL_MS, 60_000],
    ['a zero poll would spin: 20 ms', 0, POLL_MS, 20],
    ['a huge poll is an hour', 1e12, POLL_MS, 3_600_000],
    ['NaN is the default', Number.NaN, POLL_MS, 60_000],
    ['in bounds is kept', 1500, POLL_MS, 1500],
  ]
  for (const [name, v, b, want] of cases) t.equal(clampMs(v, b), want, name)
})
