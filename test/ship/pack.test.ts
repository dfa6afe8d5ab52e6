// The package as npm would publish it: `npm pack` (which builds dist/ through prepack) on a
// copy of the publishable files, then the tarball installed into an empty project from the
// npm registry, the binary run and both entry points imported and used. The copy keeps the
// build away from this checkout's dist/, which other test files may be reading meanwhile.
import t from 'tap'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runToEnd, type RunResult } from '../fixtures/run.js'

const repo = process.cwd()
// A clean tsc build plus an install from the registry: ~40 s on an idle 2-core machine, more when it is busy.
t.setTimeout(600_000)

const run = (cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<RunResult> => runToEnd(cmd, args, { cwd, timeoutMs })

t.test('npm pack ships dist, README and LICENSE only, and the tarball installs and runs in an empty project', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fp-pack-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))
  const pkg = join(tmp, 'pkg')
  mkdirSync(pkg)
  for (const f of ['package.json', 'package-lock.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'src']) {
    cpSync(join(repo, f), join(pkg, f), { recursive: true })
  }
  // prepack's tsc comes from the dev dependencies, which are this checkout's.
  symlinkSync(join(repo, 'node_modules'), join(pkg, 'node_modules'), 'dir')

  const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], pkg, 300_000)
  t.equal(packed.code, 0, 'npm pack succeeds', { stderr: packed.err.slice(-3000) })
  if (packed.code !== 0) return
  // npm prints prepack's own output before the JSON report.
  const report = JSON.parse(packed.out.slice(packed.out.indexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[]
  const files = report[0].files.map((f) => f.path).sort()
  t.same(files.filter((f) => !f.startsWith('dist/')), ['LICENSE', 'README.md', 'package.json'], 'outside dist/: LICENSE, README.md and package.json')
  for (const f of ['dist/cli.js', 'dist/index.js', 'dist/index.d.ts', 'dist/emulator/index.js', 'dist/emulator/index.d.ts']) t.ok(files.includes(f), `ships ${f}`)
  t.notOk(files.includes('dist/.build-inputs.json'), 'not the build record')
  t.same(files.filter((f) => /\.test\.|^dist\/(test|bench)\//.test(f)), [], 'no tests or benchmarks')

  const consumer = join(tmp, 'consumer')
  mkdirSync(consumer)
  // Its own package.json, so npm installs here rather than into a project further up.
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '0.0.0', private: true, type: 'module' }))
  const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(tmp, report[0].filename)], consumer, 300_000)
  t.equal(installed.code, 0, 'npm install <tarball> succeeds', { stderr: installed.err.slice(-3000) })
  if (installed.code !== 0) return

  // The sources are not shipped, so a map is only useful with them inlined.
  const map = JSON.parse(readFileSync(join(consumer, 'node_modules/kcp-front-proxy/dist/cli.js.map'), 'utf8')) as { sourcesContent?: string[] }
  t.match(map.sourcesContent?.[0], /#!\/usr\/bin\/env node/, 'source maps carry their sources')

  const version = await run(join(consumer, 'node_modules/.bin/kcp-front-proxy'), ['--version'], consumer, 60_000)
  t.equal(version.code, 0, 'kcp-front-proxy --version exits 0', { stderr: version.err })
  t.match(version.out, /^kcp-front-proxy v0\.1\.0 \(node v/, 'prints the package version')

  // Both entry points as the README uses them: an emulated shard started and stopped.
  const script = [
    "import { createFrontProxy, InvalidOptionsError } from 'kcp-front-proxy'",
    "import { startTopology } from 'kcp-front-proxy/emulator'",
    "const topo = await startTopology({ shards: ['root'] })",
    'const shards = [...topo.shards.keys()]',
    'await topo.close()',
    'console.log(JSON.stringify({ createFrontProxy: typeof createFrontProxy, InvalidOptionsError: typeof InvalidOptionsError, shards }))',
  ].join('\n')
  writeFileSync(join(consumer, 'use.mjs'), script)
  const used = await run(process.execPath, ['use.mjs'], consumer, 60_000)
  t.equal(used.code, 0, 'importing kcp-front-proxy and kcp-front-proxy/emulator works', { stderr: used.err.slice(-3000) })
  t.same(JSON.parse(used.out || '{}'), { createFrontProxy: 'function', InvalidOptionsError: 'function', shards: ['root'] })
})
