// Runs every bench/*.bench.ts in sequence (never in parallel: the machine has 2 cores and
// each benchmark measures CPU). Extra arguments are passed to every benchmark.
// Usage: npx tsx bench/run.ts [--only proxy,watches] [-- <args for each benchmark>]
import { readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = dirname(fileURLToPath(import.meta.url))
const argv = process.argv.slice(2)
const sep = argv.indexOf('--')
const own = sep >= 0 ? argv.slice(0, sep) : argv
const passThrough = sep >= 0 ? argv.slice(sep + 1) : []
const onlyIdx = own.indexOf('--only')
const only = onlyIdx >= 0 ? new Set(own[onlyIdx + 1]?.split(',')) : undefined

const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !only || only.has(f.replace(/\.bench\.ts$/, '')))
  .sort()

const failed: string[] = []
for (const f of benches) {
  process.stdout.write(`\n# ${f}\n\n`)
  const started = Date.now()
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f), ...passThrough], { stdio: 'inherit' })
  const secs = ((Date.now() - started) / 1000).toFixed(0)
  if (r.status !== 0) failed.push(`${f} (exit ${r.status ?? r.signal}, ${secs} s)`)
  else process.stdout.write(`\n(${f}: ${secs} s)\n`)
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`)
  process.exitCode = 1
}
