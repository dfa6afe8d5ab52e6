// What `npm ci` and `npm install kcp-front-proxy` install, checked from package.json and
// package-lock.json without touching the network: the engines field tells the truth about
// the runtime tree, the tree installs on this Node without EBADENGINE warnings, and every
// runtime dependency is one the code imports (unused ones only cost installers time and
// audit noise).
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import semver from 'semver'

const repo = process.cwd()
interface Manifest { engines?: { node?: string } | string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
interface LockEntry extends Manifest { dev?: boolean }
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Manifest
const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }

const nodeRange = (m: Manifest): string | undefined => (typeof m.engines === 'object' ? m.engines.node : undefined)
const installed = Object.entries(lock.packages).filter(([path]) => path !== '')

/** `path: range` of every entry whose engines.node refuses `version`. */
function refusing(version: string, entries: [string, LockEntry][]): string[] {
  return entries.flatMap(([path, e]) => {
    const range = nodeRange(e)
    return range !== undefined && !semver.satisfies(version, range) ? [`${path}: ${range}`] : []
  })
}

t.test('package-lock.json is the lock of this package.json', async (t) => {
  const root = lock.packages['']
  t.same(root.dependencies, pkg.dependencies, 'dependencies')
  t.same(root.devDependencies, pkg.devDependencies, 'devDependencies')
  t.same(root.engines, pkg.engines, 'engines')
})

t.test('engines.node admits no Node a runtime dependency refuses, and admits Node 20 and 24', async (t) => {
  const ours = nodeRange(pkg)
  t.ok(ours, 'engines.node is set')
  if (ours === undefined) return
  const min = semver.minVersion(ours)?.version ?? ''
  t.ok(semver.satisfies(min, '20'), `the minimum (${min}) is a Node 20`)
  t.ok(semver.satisfies('24.0.0', ours), 'Node 24 is admitted')
  t.same(refusing(min, installed.filter(([, e]) => e.dev !== true)), [], `every runtime package runs on Node ${min}`)
})

t.test(`every package in the lock accepts this Node (${process.version}): npm ci prints no EBADENGINE`, async (t) => {
  t.same(refusing(process.version, installed), [])
})

t.test('every runtime dependency is imported by src/, and nothing else is', async (t) => {
  const sources = readdirSync(join(repo, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
  const imported = new Set<string>()
  for (const text of sources) {
    for (const m of text.matchAll(/(?:from |import |import\()'((?:@[^/']+\/)?[^/'.][^/']*)/g)) {
      if (!m[1].startsWith('node:')) imported.add(m[1])
    }
  }
  t.same([...imported].sort(), Object.keys(pkg.dependencies ?? {}).sort(), 'imports = dependencies')
})
