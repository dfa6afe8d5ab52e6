import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, levelForVerbosity, logDestination, LOG_BATCH_BYTES, LOG_FLUSH_MS } from '../../src/server/logging.js'
import { within } from '../fixtures/until.js'

const lines = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
  } catch {
    return []
  }
}

t.test('klog verbosity maps to pino levels', async (t) => {
  const cases: [number, string][] = [[0, 'warn'], [1, 'warn'], [2, 'info'], [3, 'info'], [4, 'debug'], [5, 'debug'], [6, 'trace'], [10, 'trace']]
  for (const [v, level] of cases) t.equal(levelForVerbosity(v), level, `-v=${v}`)
})

t.test('the log destination batches lines, yet no line waits longer than the flush interval, and end() writes the rest', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-log-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'proxy.log')
  const dest = logDestination(file)
  const logger = createLogger({ v: 2, stream: dest })

  logger.info({ n: 0 }, 'request')
  await new Promise((r) => setTimeout(r, 50))
  t.equal(lines(file).length, 0, 'one short line is held for the batch')
  t.ok(await within(() => lines(file).length === 1, { timeoutMs: LOG_FLUSH_MS * 3 }), 'and written by the periodic flush')

  const burst = Math.ceil((LOG_BATCH_BYTES * 3) / 60)
  for (let i = 1; i <= burst; i++) logger.info({ n: i }, 'request')

  logger.info({ n: 'last' }, 'request')
  await new Promise<void>((resolve) => {
    dest.once('close', () => resolve())
    dest.end()
  })
  const all = lines(file).map((l) => (JSON.parse(l) as { n: number | string }).n)
  t.equal(all.length, burst + 2, 'nothing is lost')
  t.equal(all.at(-1), 'last', 'in order')
})
