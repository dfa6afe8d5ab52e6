#!/usr/bin/env node
// Builds dist/ from src/: empties dist/ (so the output of a deleted or renamed source file
// cannot linger and be packed), runs tsc -p tsconfig.build.json, then records what the build
// read in dist/.build-inputs.json (left out of the package by "files" in package.json).
//
// With --if-stale (npm start) it does nothing when that record still matches: tsc takes
// 7-20 s on a small machine, which `npm start -- --help` should not pay on every run. The
// record is a content hash of every file under src/ (added, removed, renamed and edited files
// all show; mtimes would miss an edit within a coarse timestamp's second), of the files that
// steer the emit (tsconfig*.json; package.json, whose "type" decides ESM or CommonJS output)
// and the compiler's version. Hashing the sources takes milliseconds. Plain JavaScript, so it
// runs before anything is compiled. Exit code: tsc's when it fails.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import process from 'node:process'

const root = process.cwd()
const dist = join(root, 'dist')
const record = join(dist, '.build-inputs.json')
const require = createRequire(join(root, 'package.json'))

function inputs() {
  const paths = ['tsconfig.json', 'tsconfig.build.json', 'package.json']
  for (const e of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (e.isFile()) paths.push(relative(root, join(e.parentPath, e.name)))
  }
  const files = {}
  for (const p of paths.sort()) files[p] = createHash('sha256').update(readFileSync(join(root, p))).digest('hex')
  return { typescript: require('typescript/package.json').version, files }
}

function current(want) {
  if (!existsSync(join(dist, 'cli.js')) || !existsSync(record)) return false
  try {
    return JSON.stringify(JSON.parse(readFileSync(record, 'utf8'))) === JSON.stringify(want)
  } catch {
    return false // unreadable record: build
  }
}

const want = inputs()
if (process.argv.includes('--if-stale') && current(want)) process.exit(0)

process.stderr.write('building dist/ (tsc -p tsconfig.build.json)…\n')
rmSync(dist, { recursive: true, force: true })
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
if (tsc.status !== 0) process.exit(tsc.status ?? 1)
mkdirSync(dist, { recursive: true })
writeFileSync(record, JSON.stringify(want))
