// Index controller benchmark: time to ready and propagation lag under churn.
//
//   npx tsx bench/controller.bench.ts [--workspaces 10000] [--seconds 60] [--rate 100]
//
// An emulated topology (root, alpha, beta) is seeded with N workspaces spread over the three
// shards (in process, no HTTP), then the controller starts against it over real HTTPS. Churn
// is `rate` workspace creates and `rate` deletes per second; the lag of each is the time from
// the emulator call to index.lookup() reflecting it (detected on every index mutation, no
// polling). Emulator and controller share this process and its CPU, so the figures are an
// upper bound for the controller alone. Run with `node --expose-gc --import tsx ...` for heap
// figures after a full GC.
import { performance } from 'node:perf_hooks'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { startTopology } from '../src/emulator/index.js'
import { WorkspaceIndex } from '../src/index/index.js'
import type { LogicalClusterObject, WorkspaceObject } from '../src/index/types.js'
import { parseKubeconfig } from '../src/kube/kubeconfig.js'
import { createIndexController } from '../src/controller/index.js'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : def
  return Number.isFinite(v) && v > 0 ? v : def
}
const N = arg('workspaces', 10_000)
const SECONDS = arg('seconds', 60)
const RATE = arg('rate', 100)
const SHARDS = ['root', 'alpha', 'beta']

interface Waiter {
  path: string
  want: 'present' | 'absent'
  t0: number
  done: (ms: number) => void
}

/** An index that resolves waiters right after the mutation that makes their condition true. */
class ObservedIndex extends WorkspaceIndex {
  readonly waiters = new Set<Waiter>()
  private check(): void {
    if (this.waiters.size === 0) return
    for (const w of this.waiters) {
      const found = this.lookup(w.path)?.shard
      if ((w.want === 'present') === (found !== undefined && found !== '')) {
        this.waiters.delete(w)
        w.done(performance.now() - w.t0)
      }
    }
  }
  override upsertWorkspace(shard: string, ws: WorkspaceObject): void {
    super.upsertWorkspace(shard, ws)
    this.check()
  }
  override deleteWorkspace(shard: string, ws: WorkspaceObject): void {
    super.deleteWorkspace(shard, ws)
    this.check()
  }
  override upsertLogicalCluster(shard: string, lc: LogicalClusterObject): void {
    super.upsertLogicalCluster(shard, lc)
    this.check()
  }
  override deleteLogicalCluster(shard: string, lc: LogicalClusterObject): void {
    super.deleteLogicalCluster(shard, lc)
    this.check()
  }
  waitFor(path: string, want: Waiter['want'], t0: number, timeoutMs = 10_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const w: Waiter = { path, want, t0, done: (ms) => (clearTimeout(timer), resolve(ms)) }
      const timer = setTimeout(() => {
        this.waiters.delete(w)
        reject(new Error(`${path} not ${want} after ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.add(w)
      // Already true (the emulator call can complete after the watch event was applied).
      const found = this.lookup(path)?.shard
      if ((want === 'present') === (found !== undefined && found !== '')) {
        this.waiters.delete(w)
        w.done(performance.now() - t0)
      }
    })
  }
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}
const fmt = (ms: number) => ms.toFixed(1)
const mb = (b: number) => (b / 1024 / 1024).toFixed(1)
function heap(): number {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) {
    g()
    g()
  }
  return process.memoryUsage().heapUsed
}

async function main(): Promise<void> {
  console.log(`controller bench: ${N} workspaces on ${SHARDS.length} shards, churn ${RATE} creates + ${RATE} deletes/s for ${SECONDS} s, node ${process.version}, gc ${'gc' in globalThis ? 'exposed' : 'not exposed'}`)
  const topo = await startTopology({ shards: SHARDS, historyWindow: Math.max(10_000, RATE * 20) })
  try {
    let t = performance.now()
    const BATCH = 200
    for (let i = 0; i < N; i += BATCH) {
      const batch: Promise<unknown>[] = []
      for (let j = i; j < Math.min(N, i + BATCH); j++) batch.push(topo.createWorkspace('root', `seed-${j}`, { shard: SHARDS[j % SHARDS.length] }))
      await Promise.all(batch)
    }
    console.log(`seeded ${N} workspaces in ${((performance.now() - t) / 1000).toFixed(1)} s (emulator, in process)`)

    const index = new ObservedIndex()
    const controller = createIndexController({
      rootConfig: parseKubeconfig(topo.kubeconfig(), 'root.kubeconfig'),
      shardsConfig: parseKubeconfig(topo.kubeconfig({ user: 'shard-admin' }), 'shards.kubeconfig'),
      index,
      registry: new Registry(),
      logger: pino({ level: 'warn' }),
    })
    const heapBeforeStart = heap()
    t = performance.now()
    await controller.start()
    await controller.whenReady()
    const readyMs = performance.now() - t
    const probe = index.lookup(`root:seed-${N - 1}`)
    console.log(`ready after ${fmt(readyMs)} ms; last seeded workspace routed to ${probe?.shard ?? 'NOTHING'}`)
    // Let the watches settle before measuring.
    await new Promise((r) => setTimeout(r, 500))
    const heapBefore = heap()

    const createLag: number[] = []
    const deleteLag: number[] = []
    let failures = 0
    const pending = new Set<Promise<void>>()
    const live: string[] = []
    let seq = 0
    const intervalMs = 1000 / RATE
    const end = performance.now() + SECONDS * 1000
    let next = performance.now()
    while (performance.now() < end) {
      const path = `root:churn-${seq}`
      const name = `churn-${seq}`
      const shard = SHARDS[seq % SHARDS.length]
      seq++
      const t0 = performance.now()
      const created = index.waitFor(path, 'present', t0)
      const c = topo.createWorkspace('root', name, { shard }).then(() => created).then(
        (ms) => {
          createLag.push(ms)
          live.push(path)
        },
        () => void failures++,
      )
      pending.add(c)
      void c.finally(() => pending.delete(c))
      const victim = live.shift()
      if (victim !== undefined) {
        const d0 = performance.now()
        const gone = index.waitFor(victim, 'absent', d0)
        const d = topo.deleteWorkspace(victim).then(() => gone).then(
          (ms) => void deleteLag.push(ms),
          () => void failures++,
        )
        pending.add(d)
        void d.finally(() => pending.delete(d))
      }
      next += intervalMs
      const wait = next - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      else await new Promise((r) => setImmediate(r))
    }
    await Promise.all([...pending])
    const heapAfter = heap()

    const report = (name: string, xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b)
      console.log(`${name.padEnd(7)} n=${String(s.length).padStart(6)}  p50 ${fmt(pct(s, 50)).padStart(7)} ms  p99 ${fmt(pct(s, 99)).padStart(7)} ms  max ${fmt(s.at(-1) ?? NaN).padStart(7)} ms`)
    }
    console.log('\npropagation lag (emulator call -> index.lookup reflects it):')
    report('create', createLag)
    report('delete', deleteLag)
    console.log(`failures (not reflected within 10 s): ${failures}`)
    console.log(`heap: before controller ${mb(heapBeforeStart)} MB, ready ${mb(heapBefore)} MB, after churn ${mb(heapAfter)} MB (growth ${mb(heapAfter - heapBefore)} MB over ${seq} creates)`)
    console.log(`\n| workspaces | ready (ms) | create p50/p99/max (ms) | delete p50/p99/max (ms) | heap growth (MB) |`)
    const cs = [...createLag].sort((a, b) => a - b)
    const ds = [...deleteLag].sort((a, b) => a - b)
    console.log(`| ${N} | ${fmt(readyMs)} | ${fmt(pct(cs, 50))}/${fmt(pct(cs, 99))}/${fmt(cs.at(-1) ?? NaN)} | ${fmt(pct(ds, 50))}/${fmt(pct(ds, 99))}/${fmt(ds.at(-1) ?? NaN)} | ${mb(heapAfter - heapBefore)} |`)
    await controller.stop()
  } finally {
    await topo.close()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
