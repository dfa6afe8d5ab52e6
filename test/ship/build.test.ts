// scripts/build.mjs, the build behind the package's build, start and prepack scripts: run for real
// (real tsc) on a two-file project in a temporary directory, so each build takes a second
// or two instead of the full source tree's ten.
import t from 'tap'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runToEnd, type RunResult } from '../fixtures/run.js'

const repo = process.cwd()
t.setTimeout(300_000)

const run = (args: string[], cwd: string): Promise<RunResult> => runToEnd(process.execPath, args, { cwd, timeoutMs: 120_000 })

t.test('npm start builds through scripts/build.mjs --if-stale, and the package is built before packing', async (t) => {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.equal(pkg.scripts.start, 'node scripts/build.mjs --if-stale && node dist/cli.js')
  t.equal(pkg.scripts.prepack, 'node scripts/build.mjs')
  t.equal(pkg.scripts.build, 'node scripts/build.mjs')
})

t.test('--if-stale builds only when a source, a tsconfig, package.json or the compiler changed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-build-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs']) cpSync(join(repo, f), join(dir, f))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tiny', version: '0.0.0', type: 'module' }))
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir')
  mkdirSync(join(dir, 'src/lib'), { recursive: true })
  writeFileSync(join(dir, 'src/cli.ts'), "import { word } from './lib/word.js'\nconsole.log(word)\n")
  writeFileSync(join(dir, 'src/lib/word.ts'), "export const word: string = 'one'\n")
  writeFileSync(join(dir, 'src/lib/extra.ts'), 'export const extra = 1\n')
  const build = (...flags: string[]) => run(['scripts/build.mjs', ...flags], dir)
  const cli = async () => (await run(['dist/cli.js'], dir)).out.trim()
  const built = (r: { err: string }) => r.err.includes('building dist/')

  let r = await build('--if-stale')
  t.equal(r.code, 0, 'first build', { err: r.err })
  t.ok(built(r), 'no dist/ yet: builds')
  t.equal(await cli(), 'one')
  const firstMtime = statSync(join(dir, 'dist/cli.js')).mtimeMs

  r = await build('--if-stale')
  t.equal(r.code, 0)
  t.notOk(built(r), 'nothing changed: no build')
  t.equal(statSync(join(dir, 'dist/cli.js')).mtimeMs, firstMtime, 'dist/ untouched')

  writeFileSync(join(dir, 'src/lib/word.ts'), "export const word: string = 'one'\n")
  t.notOk(built(await build('--if-stale')), 'a source rewritten with the same content: no build')

  writeFileSync(join(dir, 'src/lib/word.ts'), "export const word: string = 'two'\n")
  r = await build('--if-stale')
  t.ok(built(r), 'a source edited (same size): builds')
  t.equal(await cli(), 'two')

  rmSync(join(dir, 'src/lib/extra.ts'))
  r = await build('--if-stale')
  t.ok(built(r), 'a source deleted: builds')
  t.notOk(existsSync(join(dir, 'dist/lib/extra.js')), 'the deleted source leaves nothing behind in dist/')

  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tiny', version: '0.0.1', type: 'module' }))
  t.ok(built(await build('--if-stale')), 'package.json changed: builds')

  t.ok(built(await build()), 'without --if-stale: always builds')

  writeFileSync(join(dir, 'src/lib/word.ts'), "export const word: number = 'three'\n")
  r = await build('--if-stale')
  t.not(r.code, 0, 'a type error fails the build with tsc\'s exit code')
  writeFileSync(join(dir, 'src/lib/word.ts'), "export const word: string = 'two'\n")
  r = await build('--if-stale')
  t.ok(built(r), 'after a failed build the next run builds again')
  t.equal(await cli(), 'two')
})
