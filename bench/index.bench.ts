// Benchmark of the routing index (src/index): load time, heap per workspace,
// lookups/s, lookupURL/s, upserts/s on a 100,000-workspace tree (depth 5,
// branching ~10, 3 shards, objects shaped like kcp's, docs/upstream.md#resources).
//
//   npx tsx bench/index.bench.ts            (re-executes itself with --expose-gc)
//   node --expose-gc --import tsx bench/index.bench.ts [--workspaces N] [--runs N] [--lookups N per run]
//
// Prints a table and one JSON line (`{"bench":"index",...}`). Figures are medians.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { WorkspaceIndex } from '../src/index/index.js'
import { CLUSTER_PATH_PATTERN, isValidClusterPath } from '../src/index/path.js'
import type { LogicalClusterObject, WorkspaceObject } from '../src/index/types.js'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) {
  // Heap per workspace needs explicit GCs; re-run this file in a child that has them.
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(r.status ?? 1)
}
const collect = (): void => {
  for (let i = 0; i < 3; i++) gc()
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : dflt
}
const WORKSPACES = arg('workspaces', 100_000)
const RUNS = Math.max(5, arg('runs', 7))
const SHARDS = ['root', 'shard-1', 'shard-2']
const LEVELS = ['org', 'team', 'proj', 'env', 'app']
const BRANCHING = 10

/** Deterministic PRNG (mulberry32) so every run builds the same tree. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

interface Planned { shard: string; parent: string; parentShard: string; name: string; cluster: string; path: string; depth: number }

/** The tree, breadth first: 10 orgs, 100 teams, ... until WORKSPACES workspaces exist. */
function plan(): Planned[] {
  const rnd = prng(42)
  const lcName = (): string => {
    let s = ''
    for (let i = 0; i < 13; i++) s += '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(rnd() * 36)]
    return s
  }
  const out: Planned[] = []
  let frontier = [{ cluster: 'root', shard: 'root', path: 'root' }]
  for (let depth = 1; depth <= LEVELS.length && out.length < WORKSPACES; depth++) {
    const next: typeof frontier = []
    const left = WORKSPACES - out.length
    const perParent = depth === LEVELS.length ? Math.ceil(left / frontier.length) : BRANCHING
    for (const p of frontier) {
      for (let i = 0; i < perParent && out.length < WORKSPACES; i++) {
        const name = `${LEVELS[depth - 1]}-${i}`
        const w: Planned = { shard: SHARDS[Math.floor(rnd() * 3)], parent: p.cluster, parentShard: p.shard, name, cluster: lcName(), path: `${p.path}:${name}`, depth }
        out.push(w)
        next.push({ cluster: w.cluster, shard: w.shard, path: w.path })
      }
    }
    frontier = next
  }
  return out
}

// Objects go through JSON.parse like watch events do, so their strings are fresh.
function workspaceObject(w: Planned, phase = 'Ready'): WorkspaceObject {
  return JSON.parse(JSON.stringify({
    apiVersion: 'tenancy.kcp.io/v1alpha1', kind: 'Workspace',
    metadata: {
      name: w.name, uid: `8d1c6a52-0000-4000-8000-${w.cluster.padEnd(12, '0').slice(0, 12)}`, resourceVersion: '123456',
      creationTimestamp: '2026-11-23T10:00:00Z', annotations: { 'kcp.io/cluster': w.parent, 'core.kcp.io/shard': w.shard },
    },
    spec: { type: { name: 'universal', path: 'root' }, location: { selector: {} }, cluster: w.cluster, URL: `https://kcp.example.com:443/clusters/${w.path}` },
    status: { phase, conditions: [{ type: 'WorkspaceScheduled', status: 'True', lastTransitionTime: '2026-11-23T10:00:01Z' }], initializers: [] },
  })) as WorkspaceObject
}

function clusterObject(w: Planned): LogicalClusterObject {
  return JSON.parse(JSON.stringify({
    apiVersion: 'core.kcp.io/v1alpha1', kind: 'LogicalCluster',
    metadata: {
      name: 'cluster', resourceVersion: '123457', creationTimestamp: '2026-11-23T10:00:00Z',
      annotations: { 'kcp.io/cluster': w.cluster, 'kcp.io/path': w.path, 'internal.tenancy.kcp.io/type': 'root:universal', 'core.kcp.io/shard': w.shard },
    },
    spec: { directlyDeletable: false, owner: { apiVersion: 'tenancy.kcp.io/v1alpha1', resource: 'workspaces', name: w.name, cluster: w.parent }, initializers: [] },
    status: { URL: `https://kcp.example.com:443/clusters/${w.path}`, phase: 'Ready', conditions: [] },
  })) as LogicalClusterObject
}

function feed(index: WorkspaceIndex, objects: Array<[Planned, WorkspaceObject, LogicalClusterObject]>): void {
  for (const s of SHARDS) index.upsertShard(s, `https://${s}.kcp.internal:6443`)
  index.upsertLogicalCluster('root', { metadata: { name: 'cluster', annotations: { 'kcp.io/cluster': 'root', 'internal.tenancy.kcp.io/type': 'root:root' } } })
  for (const [w, ws, lc] of objects) {
    index.upsertWorkspace(w.parentShard, ws)
    index.upsertLogicalCluster(w.shard, lc)
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const now = (): number => performance.now()

// The machine is shared, so wall time mostly measures the neighbours. Rates are
// per second of this process's CPU time (user + system, all threads: GC helpers
// count against us), i.e. what one core sustains.
const cpuSeconds = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** ops per CPU-second of `fn` over `n` iterations, median of RUNS runs (after one warm-up run). */
function rate(n: number, fn: (i: number) => number): number {
  let sink = 0
  const rates: number[] = []
  // Start from a collected heap: otherwise the GC helper threads finishing the
  // previous phase's garbage (three discarded 100k indexes) bill their CPU to
  // whichever measurement happens to run next.
  collect()
  // A fresh loop per measurement: one shared loop would carry the type feedback
  // of every earlier `fn`, so later measurements ran polymorphic, un-inlined
  // calls and order alone moved results by 1.5x.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const loop = new Function('fn', 'n', 'let s = 0; for (let i = 0; i < n; i++) s += fn(i); return s') as (f: typeof fn, n: number) => number
  for (let r = 0; r <= RUNS; r++) {
    const t0 = cpuSeconds()
    sink += loop(fn, n)
    const secs = cpuSeconds() - t0
    if (r > 0) rates.push(n / secs)
  }
  if (sink === -1) console.log('unreachable')
  return median(rates)
}

const started = now()
const progress = (what: string): boolean => process.stderr.write(`[${((now() - started) / 1000).toFixed(1)} s] ${what}\n`)
const planned = plan()
progress(`planned ${planned.length} workspaces`)

// 1. Heap: stream objects into a fresh index (nothing else kept), GC before and after.
collect()
const heap0 = process.memoryUsage().heapUsed
let heapIndex: WorkspaceIndex | undefined = new WorkspaceIndex()
for (const s of SHARDS) heapIndex.upsertShard(s, `https://${s}.kcp.internal:6443`)
for (const w of planned) {
  heapIndex.upsertWorkspace(w.parentShard, workspaceObject(w))
  heapIndex.upsertLogicalCluster(w.shard, clusterObject(w))
}
collect()
const bytesPerWorkspace = (process.memoryUsage().heapUsed - heap0) / planned.length
const sizes = heapIndex.debugSizes()
progress('heap measured')
heapIndex = undefined

// 2. Load: feed pre-parsed objects (2 upserts per workspace), median of 3 fresh indexes.
const objects = planned.map((w) => [w, workspaceObject(w), clusterObject(w)] as [Planned, WorkspaceObject, LogicalClusterObject])
const loads: number[] = []
let index = new WorkspaceIndex()
for (let r = 0; r < 3; r++) {
  index = new WorkspaceIndex()
  const t0 = cpuSeconds()
  feed(index, objects)
  loads.push((cpuSeconds() - t0) * 1000)
}
const loadMs = median(loads)
progress('load measured')

// 3. Lookups of random deepest paths (depth 5: root + 5 segments). The path is
// sliced out of a request URL each time, as the proxy does: a fresh string whose
// hash V8 has not computed yet.
const deepest = planned.filter((w) => w.depth === LEVELS.length).map((w) => w.path)
const rnd = prng(7)
const PATHS = 1 << 16
const urls = JSON.parse(JSON.stringify(Array.from({ length: PATHS }, () => `/clusters/${deepest[Math.floor(rnd() * deepest.length)]}/api/v1/namespaces`))) as string[]
const pathOf = (i: number): string => {
  const u = urls[i & (PATHS - 1)]
  return u.slice(10, u.length - 18)
}
for (let i = 0; i < 100; i++) if (index.lookupURL(pathOf(i)) === undefined) throw new Error(`bench tree broken: ${pathOf(i)} not found`)
const N = arg('lookups', 500_000)
const lookups = rate(N, (i) => index.lookup(pathOf(i))!.cluster.length)
const lookupURLs = rate(N, (i) => index.lookupURL(pathOf(i))!.url.length)
const misses = rate(N, (i) => (index.lookup(`${pathOf(i)}x`) === undefined ? 1 : 0))
progress('lookups measured')
// What the memo costs: heap with the memo full, then after a state change cleared it.
collect()
const memoEntries = index.debugSizes().memo
const heapMemo = process.memoryUsage().heapUsed
index.upsertShard('root', 'https://root.kcp.internal:6443/')
collect()
const memoBytesPerEntry = (heapMemo - process.memoryUsage().heapUsed) / memoEntries
index.upsertShard('root', 'https://root.kcp.internal:6443')
// The same without the memo: every lookup walks the graph (first request for a path).
const cold = new WorkspaceIndex({ memoSize: 0 })
feed(cold, objects)
const coldLookups = rate(N, (i) => cold.lookup(pathOf(i))!.cluster.length)
progress('cold lookups measured')
// Floor for any hash-based index on this machine: one Map.get of a fresh key in a
// map as large as the tree. Lookups are reported next to it as a ratio.
const floorMap = new Map<string, number>(deepest.map((p, i) => [JSON.parse(JSON.stringify(p)) as string, i]))
const floor = rate(N, (i) => floorMap.get(pathOf(i))!)

// 4. Upserts of existing workspaces whose phase flips (a real state change every time).
const FLIPS = Math.min(PATHS, objects.length)
const flips = objects.slice(0, FLIPS).map(([w]) => [w, workspaceObject(w, 'Unavailable'), workspaceObject(w, 'Ready')] as const)
const flipped = new Uint8Array(FLIPS)
const gen = index.generation
const upserts = rate(FLIPS, (i) => {
  const [w, down, up] = flips[i]
  flipped[i] ^= 1
  index.upsertWorkspace(w.parentShard, flipped[i] === 1 ? down : up)
  return 1
})
if (index.generation - gen !== FLIPS * (RUNS + 1)) throw new Error('every upsert must change state')

progress('upserts measured')

// 5. Path validation: the char loop against the regex it replaces.
const validLoop = rate(N, (i) => (isValidClusterPath(pathOf(i)) ? 1 : 0))
const validRegex = rate(N, (i) => (CLUSTER_PATH_PATTERN.test(pathOf(i)) ? 1 : 0))
// Worst case a client can send: an 8 KiB path of 63-char segments that fails at the end.
const evil = JSON.parse(JSON.stringify(`${Array.from({ length: 128 }, () => 'a'.repeat(63)).join(':')}:-`)) as string // flat, like a request string
const evilLoop = rate(2000, () => (isValidClusterPath(evil) ? 1 : 0))
const evilRegex = rate(2000, () => (CLUSTER_PATH_PATTERN.test(evil) ? 1 : 0))

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')
const rows: Array<[string, string, string]> = [
  ['workspaces (LCs + Workspaces indexed)', fmt(planned.length), `${sizes.clusters} clusters, ${sizes.workspaces} records`],
  ['load (2 upserts per workspace), CPU', `${loadMs.toFixed(0)} ms`, `${fmt((2 * planned.length) / (loadMs / 1000))} upserts/s`],
  ['heap per workspace', `${bytesPerWorkspace.toFixed(0)} B`, 'target ≤ 1024 B'],
  ['Map.get, fresh key, 100k entries (floor)', `${fmt(floor)} /s`, 'what one hash probe costs here'],
  ['lookup, random depth-5 path (memo)', `${fmt(lookups)} /s`, `target ≥ 1,000,000 /s; ${(lookups / floor).toFixed(2)}x floor`],
  ['lookupURL, random depth-5 path (memo)', `${fmt(lookupURLs)} /s`, ''],
  ['memo heap per remembered path', `${memoBytesPerEntry.toFixed(0)} B`, `${fmt(memoEntries)} paths remembered`],
  ['lookup, random depth-5 path, no memo', `${fmt(coldLookups)} /s`, `every lookup walks 6 segments; ${(coldLookups / floor).toFixed(2)}x floor`],
  ['lookup miss (last segment unknown)', `${fmt(misses)} /s`, 'misses are never memoised'],
  ['upsertWorkspace, phase change', `${fmt(upserts)} /s`, 'target ≥ 200,000 /s'],
  ['isValidClusterPath (char loop)', `${fmt(validLoop)} /s`, `regex: ${fmt(validRegex)} /s (${(validLoop / validRegex).toFixed(1)}x)`],
  ['isValidClusterPath, 8 KiB hostile path', `${(1e6 / evilLoop).toFixed(0)} µs`, `regex: ${(1e6 / evilRegex).toFixed(0)} µs (${(evilLoop / evilRegex).toFixed(1)}x)`],
]
console.log(`index benchmark, node ${process.version}, median of ${RUNS} runs, rates per CPU-second\n`)
for (const [a, b, c] of rows) console.log(`${a.padEnd(40)} ${b.padStart(14)}   ${c}`)
console.log(JSON.stringify({
  bench: 'index', node: process.version, workspaces: planned.length, loadMs: Math.round(loadMs),
  loadUpsertsPerSec: Math.round((2 * planned.length) / (loadMs / 1000)), heapBytesPerWorkspace: Math.round(bytesPerWorkspace),
  lookupsPerSec: Math.round(lookups), lookupURLsPerSec: Math.round(lookupURLs), coldLookupsPerSec: Math.round(coldLookups), memoBytesPerEntry: Math.round(memoBytesPerEntry), missesPerSec: Math.round(misses),
  mapGetFloorPerSec: Math.round(floor), upsertsPerSec: Math.round(upserts), hostilePathLoopMicros: Math.round(1e6 / evilLoop), hostilePathRegexMicros: Math.round(1e6 / evilRegex), validLoopPerSec: Math.round(validLoop), validRegexPerSec: Math.round(validRegex),
}))
