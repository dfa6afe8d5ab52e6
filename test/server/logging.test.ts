import t from 'tap'
import type { Test } from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { createLogger, formatRequestText, levelForVerbosity, logDestination, requestLogWriter, LOG_BATCH_BYTES, LOG_FLUSH_MS } from '../../src/server/logging.js'
import type { RequestLogRecord } from '../../src/proxy/accounting.js'
import { elapse, eventually } from '../fixtures/eventually.js'

const lines = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
  } catch {
    return []
  }
}

const record = (over: Partial<RequestLogRecord>): RequestLogRecord => ({
  method: 'GET', path: '/clusters/root:org/api/v1/namespaces', shard: 'root', cluster: '2abc', status: 200, bytes: 1100, ms: 1.234,
  user: '', aborted: undefined, err: undefined, ...over,
})

t.test('klog verbosity maps to pino levels', async (t) => {
  const cases: [number, string][] = [[0, 'warn'], [1, 'warn'], [2, 'info'], [3, 'info'], [4, 'debug'], [5, 'debug'], [6, 'trace'], [10, 'trace']]
  for (const [v, level] of cases) t.equal(levelForVerbosity(v), level, `-v=${v}`)
})

const logTo = (t: Test, flushMs: number) => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-log-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'proxy.log')
  const dest = logDestination(file, { flushMs })
  const logger = createLogger({ v: 2, stream: dest })
  return { file, dest, logger, request: requestLogWriter(logger) }
}
const n = (i: number | string): string => JSON.stringify(i)
/** A window in which a held line must NOT be written; an immediate write would land well within it. */
const HELD_WINDOW_MS = 50

t.test('a lone request line is held for its batch and written by the periodic flush (--log-flush-frequency)', async (t) => {
  const { file, dest, request } = logTo(t, 1000)
  t.teardown(() => dest.end())
  request(record({ path: n(0) }))
  await elapse(HELD_WINDOW_MS)
  t.equal(lines(file).length, 0, 'one short request line is held for the batch')
  t.ok(await eventually('and written by the periodic flush', () => lines(file).length === 1, { timeoutMs: 5000 }), 'and written by the periodic flush')
})

t.test('a warning is written at once behind the held request lines, full batches go without the timer, and end() writes the rest', async (t) => {
  // The flush interval is far beyond every wait here, so only an immediate write can pass.
  const { file, dest, logger, request } = logTo(t, 60_000)
  request(record({ path: n(0) }))
  await elapse(HELD_WINDOW_MS)
  t.equal(lines(file).length, 0, 'one short request line is held for the batch')
  logger.warn({ path: n('warning') }, 'something to see now')
  t.ok(await eventually('a warning is written at once, the held line first', () => lines(file).length === 2, { timeoutMs: 5000 }), 'a warning is written at once, the held line first')

  const burst = Math.ceil((LOG_BATCH_BYTES * 3) / 150)
  for (let i = 1; i <= burst; i++) request(record({ path: n(i) }))
  t.ok(await eventually('full batches are written without waiting for the timer', () => lines(file).length > 2, { timeoutMs: 5000 }), 'full batches are written without waiting for the timer')

  request(record({ path: n('last') }))
  await new Promise<void>((resolve) => {
    dest.once('close', () => resolve())
    dest.end()
  })
  const all = lines(file).map((l) => JSON.parse((JSON.parse(l) as { path: string }).path) as number | string)
  t.equal(all.length, burst + 3, 'nothing is lost')
  t.same(all.slice(0, 3), [0, 'warning', 1], 'in order')
  t.equal(all.at(-1), 'last', 'in order to the end')
  t.equal(LOG_FLUSH_MS, 1000, 'an embedder’s logDestination() waits at most 1 s by default')
})

t.test('request lines from the fast writer are byte for byte what pino writes for the same record', async (t) => {
  const cases: [string, RequestLogRecord][] = [
    ['a plain GET', record({})],
    ['an authenticated user', record({ user: 'oidc:alice@example.com' })],
    ['an aborted watch', record({ status: 499, aborted: true, bytes: 0 })],
    ['a backend error', record({ status: 502, err: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1' })],
    ['quotes, backslashes, control characters and non-ASCII in strings', record({ path: '/clusters/x"y\\z\u0001/ü', user: 'a"\n\tb', err: 'bad "thing"\r\n' })],
    ['a long path', record({ path: '/clusters/' + 'a'.repeat(300) })],
    ['a zero-length answer in no time', record({ status: 204, bytes: 0, ms: 0 })],
    ['a fractional duration', record({ ms: 60000.001 })],
  ]
  // With bindings too: a worker's lines carry its id (--workers).
  for (const bindings of [undefined, { worker: 3 }]) {
    for (const [name, r] of cases) {
      const viaPino: string[] = []
      const viaFast: string[] = []
      createLogger({ v: 2, bindings, stream: { write: (s: string) => void viaPino.push(s) } }).info(r, 'request')
      requestLogWriter(createLogger({ v: 2, bindings, stream: { write: (s: string) => void viaFast.push(s) } }))(r)
      const stripTime = (s: string): string => s.replace(/"time":\d+/, '"time":0')
      t.equal(viaFast.length, 1, `${name}: one line`)
      t.equal(stripTime(viaFast[0] ?? ''), stripTime(viaPino[0] ?? ''), `${name}${bindings ? ' (worker 3)' : ''}`)
      if (bindings) t.match(viaFast[0], /^\{"level":30,"time":\d+,"worker":3,"name":"kcp-front-proxy",/, `${name}: the worker id leads`)
    }
  }
})

t.test('the fast request writer honours the level: -v=1 writes no request lines', async (t) => {
  const out: string[] = []
  const logger = createLogger({ v: 1, stream: { write: (s: string) => void out.push(s) } })
  const write = requestLogWriter(logger)
  write(record({}))
  t.same(out, [], 'warn level: nothing')
  logger.level = 'info'
  write(record({}))
  t.equal(out.length, 1, 'a level raised at run time takes effect')
})

t.test("an embedder's own logger gets request lines through logger.info, with its own format", async (t) => {
  const out: string[] = []
  const theirs = pino({ messageKey: 'message', base: { app: 'harness' } }, { write: (s: string) => void out.push(s) })
  requestLogWriter(theirs)(record({ user: 'bob' }))
  const line = JSON.parse(out[0] ?? '{}') as Record<string, unknown>
  t.equal(line.message, 'request', 'their message key')
  t.equal(line.app, 'harness', 'their base fields')
  t.equal(line.user, 'bob', 'the record')
})

t.test('format text (the demo): one readable request line with workspace → shard/cluster, status and duration', async (t) => {
  const at = new Date(2026, 0, 2, 14, 2, 11).getTime()
  const cases: [string, RequestLogRecord, string][] = [
    ['routed to a shard', record({ user: 'admin', ms: 3.14159 }), '14:02:11 GET /clusters/root:org/api/v1/namespaces  root:org → root/2abc  200  3.1 ms  admin\n'],
    ['unknown workspace: not routed', record({ path: '/clusters/root:nope/api', shard: '', cluster: '', status: 403, ms: 0.4 }), '14:02:11 GET /clusters/root:nope/api  root:nope → no shard  403  0.4 ms\n'],
    ['outside any workspace (the / mapping)', record({ path: '/version', shard: '', cluster: '', user: 'admin' }), '14:02:11 GET /version  200  1.2 ms  admin\n'],
    ['a virtual workspace path names its workspace', record({ path: '/services/apiexport/root:org/clusters/root:org:team-a/api', shard: 'beta', cluster: 'x1' }), '14:02:11 GET /services/apiexport/root:org/clusters/root:org:team-a/api  root:org:team-a → beta/x1  200  1.2 ms\n'],
    ['aborted', record({ status: 499, aborted: true }), '14:02:11 GET /clusters/root:org/api/v1/namespaces  root:org → root/2abc  499  1.2 ms  (aborted by the client)\n'],
    ['a backend error', record({ status: 502, err: 'ECONNREFUSED' }), '14:02:11 GET /clusters/root:org/api/v1/namespaces  root:org → root/2abc  502  1.2 ms  error: ECONNREFUSED\n'],
  ]
  for (const [name, r, want] of cases) t.equal(formatRequestText(r, at), want, name)
})

t.test('a format text logger writes request lines as text and every other line as `time LEVEL message key=value`', async (t) => {
  const out: string[] = []
  const logger = createLogger({ v: 2, stream: { write: (s: string) => void out.push(s) }, format: 'text' })
  requestLogWriter(logger)(record({ user: 'admin' }))
  logger.info({ shard: 'alpha', ms: 254, url: 'https://127.0.0.1:6443', note: 'two words' }, 'shard synced')
  logger.warn({ err: new Error('boom') }, 'something failed')
  logger.debug('not at -v=2')
  t.equal(out.length, 3, 'one line each, debug left out')
  t.match(out[0], /^\d\d:\d\d:\d\d GET \/clusters\/root:org\/api\/v1\/namespaces {2}root:org → root\/2abc {2}200 {2}1\.2 ms {2}admin\n$/)
  t.match(out[1], /^\d\d:\d\d:\d\d INFO shard synced shard=alpha ms=254 url=https:\/\/127\.0\.0\.1:6443 note="two words"\n$/)
  t.match(out[2], /^\d\d:\d\d:\d\d WARN something failed err="boom"\n$/)
  t.notMatch(out.join(''), /^\{/m, 'no JSON')

  const quiet: string[] = []
  requestLogWriter(createLogger({ v: 1, stream: { write: (s: string) => void quiet.push(s) }, format: 'text' }))(record({}))
  t.same(quiet, [], '-v=1: no request lines in text either')
})
