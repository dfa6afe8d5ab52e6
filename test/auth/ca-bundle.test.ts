import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { CABundle } from '../../src/auth/ca-bundle.js'
import type { WatchFn } from '../../src/files/reloadable.js'
import { createCA } from '../../src/pki/index.js'
import { eventually } from '../fixtures/eventually.js'

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString('utf8')), cb()) })
  return { logger: pino({ level: 'debug' }, stream), lines }
}

const refuse: WatchFn = () => {
  throw Object.assign(new Error('EMFILE: too many open files, watch'), { code: 'EMFILE' })
}

t.test('a rotated CA bundle is reloaded by polling when fs.watch throws', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'ca.pem')
  const [oldCA, newCA] = await Promise.all([createCA('old-ca'), createCA('new-ca')])
  writeFileSync(file, oldCA.cert)
  const log = capture()
  const bundle = new CABundle(file, { logger: log.logger, pollMs: 20, watch: refuse })
  t.teardown(() => bundle.close())
  let changed = 0
  bundle.onChange(() => changed++)
  t.match(log.lines.join(''), /CA bundle watch failed; polling for changes/, 'the watch failure is logged')
  writeFileSync(file, newCA.cert)
  await eventually('the polled reload', () => changed > 0)
  t.same(bundle.pems, [newCA.cert.trim()])
  t.equal(bundle.generation, 1)
  t.match(bundle.certs[0].subject, /CN=new-ca/)
})

t.test('an invalid CA bundle keeps the previous certificates and says so', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'ca.pem')
  const ca = await createCA('ca')
  writeFileSync(file, ca.cert)
  const log = capture()
  const bundle = new CABundle(file, { logger: log.logger, watch: refuse })
  t.teardown(() => bundle.close())
  writeFileSync(file, 'garbage')
  await bundle.check()
  t.same(bundle.pems, [ca.cert.trim()])
  t.match(log.lines.join(''), /ignoring invalid CA bundle, keeping the previous one/)
  t.equal(bundle.generation, 0)
})
