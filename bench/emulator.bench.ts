// Emulator benchmark: `npx tsx bench/emulator.bench.ts`.
// 1. GET of one configmap: autocannon, keep-alive, 50 connections, 3 × 10 s, median req/s (target ≥ 15,000).
// 2. 100,000 workspaces across 3 shards, seeded with topology.seedWorkspaces() (Workspace + LogicalCluster +
//    namespace each), then what the proxy's controller does on start: on every shard list every page
//    (limit=500) of the wildcard `workspaces:<identity>` and `logicalclusters`, and open the watches (< 5 s).
// The emulator runs in a child process so the load generator does not share its event loop. `--pin`
// pins the load generator to CPU 0 and the emulator to the last CPU (taskset), as proxy.bench.ts does;
// off by default because on a 2-core machine one core of autocannon over TLS cannot saturate the emulator.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { availableParallelism } from 'node:os'
import { pinToCpus } from './lib/child.js'
import { startTopology } from '../src/emulator/index.js'
import type { Kcp } from '../src/emulator/kcp.js'
import type { Topology } from '../src/emulator/types.js'

const WORKSPACE_COUNT = Number(process.env.BENCH_WORKSPACES ?? 100_000)
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10)
const ROUNDS = 3

interface ServeInfo { shards: Record<string, string>; ca: string; identity: string; createMs?: number }

/** Baseline: a bare node:https server answering the same bytes, to separate Node/TLS cost from ours. */
async function serveBare(): Promise<void> {
  const topo = await startTopology()
  const kcp = internals(topo)
  const cm = kcp.root.core.create((await import('../src/emulator/resources.js')).CONFIGMAPS, 'root', 'default', { metadata: { name: 'bench' }, data: { key: 'value'.repeat(20) } })
  const { createServer } = await import('node:https')
  const body = cm.json
  const server = createServer({ key: kcp.root.tlsMaterial.key, cert: kcp.root.tlsMaterial.cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  await topo.close()
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address() as { port: number }
    process.stdout.write(`${JSON.stringify({ shards: { root: `https://127.0.0.1:${addr.port}` }, ca: topo.pki.servingCA.cert, identity: '' })}\n`)
  })
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
}

async function serve(mode: string): Promise<void> {
  if (mode === 'bare') return serveBare()
  const topo = await startTopology({ shards: mode === 'get' ? ['root'] : ['root', 'alpha', 'beta'], historyWindow: 1000 })
  const info: ServeInfo = { shards: Object.fromEntries([...topo.shards].map(([n, s]) => [n, s.baseURL])), ca: topo.pki.servingCA.cert, identity: topo.identityHashes['tenancy.kcp.io'] }
  if (mode === 'get') {
    const kcp = internals(topo)
    kcp.root.core.create((await import('../src/emulator/resources.js')).CONFIGMAPS, 'root', 'default', { metadata: { name: 'bench' }, data: { key: 'value'.repeat(20) } })
  } else {
    info.createMs = createWorkspaces(topo, WORKSPACE_COUNT)
  }
  process.stdout.write(`${JSON.stringify(info)}\n`)
  process.on('SIGTERM', () => void topo.close().then(() => process.exit(0)))
}

function internals(topo: Topology): Kcp {
  return (topo as unknown as { internals: { kcp: Kcp } }).internals.kcp
}

/**
 * One organisation workspace per shard, then `n` Ready workspaces spread over them: every shard stores a
 * third of the Workspace objects and hosts a third of the LogicalClusters (seedWorkspaces round-robin).
 */
function createWorkspaces(topo: Topology, n: number): number {
  const start = performance.now()
  const shards = [...topo.shards.keys()]
  const orgs = shards.map((s) => topo.seedWorkspaces('root', [`org-${s}`], { shards: [s], type: 'root:organization' })[0].path)
  const perOrg = Math.ceil(n / orgs.length)
  orgs.forEach((org, k) => {
    const names = Array.from({ length: Math.min(perOrg, n - k * perOrg) }, (_, i) => `ws-${k * perOrg + i}`)
    topo.seedWorkspaces(org, names)
  })
  return performance.now() - start
}

const PIN = process.argv.includes('--pin') && availableParallelism() >= 2

function startChild(mode: string): Promise<{ child: ChildProcess; info: ServeInfo }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', mode], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_WORKSPACES: String(WORKSPACE_COUNT) } })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${code}`)))
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      if (PIN && child.pid !== undefined) pinToCpus(child.pid, String(availableParallelism() - 1))
      resolve({ child, info: JSON.parse(line) as ServeInfo })
    })
  })
}

/** CPU seconds (user + system) a process used so far, from /proc (Linux; clock ticks of 100 Hz). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function benchGet(mode: 'get' | 'bare'): Promise<number> {
  const { child, info } = await startChild(mode)
  try {
    const url = `${info.shards.root}/clusters/root/api/v1/namespaces/default/configmaps/bench`
    const rates: number[] = []
    const p99: number[] = []
    const perCPU: number[] = []
    // Warm-up (JIT, TLS sessions), not counted.
    await autocannon({ url, connections: 50, duration: 2, headers: { authorization: 'Bearer admin-token', accept: 'application/json' }, tlsOptions: { ca: info.ca } })
    for (let i = 0; i < ROUNDS; i++) {
      const cpu0 = cpuSeconds(child.pid)
      const r = await autocannon({ url, connections: 50, duration: DURATION_S, headers: { authorization: 'Bearer admin-token', accept: 'application/json' }, tlsOptions: { ca: info.ca } })
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`round ${i + 1}: ${r.non2xx} non-2xx, ${r.errors} errors`)
      rates.push(r.requests.average)
      p99.push(r.latency.p99)
      perCPU.push(r.requests.total / (cpuSeconds(child.pid) - cpu0))
      console.log(`  round ${i + 1}: ${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms, ${Math.round(perCPU[i])} req per server CPU-second`)
    }
    const label = mode === 'get' ? 'emulator GET one configmap' : 'baseline bare node:https, same bytes'
    console.log(`${label}: median ${Math.round(median(rates))} req/s, median p99 ${median(p99)} ms, median ${Math.round(median(perCPU))} req per server CPU-second`)
    console.log(`  load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
    return median(rates)
  } finally {
    child.kill('SIGTERM')
  }
}

function get(agent: Agent, url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent, ca, headers: { authorization: 'Bearer admin-token', accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
    }).on('error', reject).end()
  })
}

/** Opens a watch and resolves once the headers arrived (the stream is then closed). */
function openWatch(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, headers: { authorization: 'Bearer admin-token' } }, (res) => {
      resolve(res.statusCode ?? 0)
      req.destroy()
    })
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)))
    req.end()
  })
}

async function benchWorkspaces(): Promise<void> {
  const { child, info } = await startChild('workspaces')
  try {
    console.log(`seeded ${WORKSPACE_COUNT} workspaces (+ ${WORKSPACE_COUNT} logical clusters) with seedWorkspaces() in ${Math.round(info.createMs ?? 0)} ms`)
    const agent = new Agent({ keepAlive: true, maxSockets: 6 })
    const cpu0 = cpuSeconds(child.pid)
    const start = performance.now()
    const listAndWatch = async (coll: string): Promise<number> => {
      let items = 0
      let cont = ''
      let rv = ''
      for (let page = 0; page < 10_000; page++) {
        const r = await get(agent, `${coll}?limit=500${cont === '' ? '' : `&continue=${encodeURIComponent(cont)}`}`, info.ca)
        if (r.status !== 200) throw new Error(`list page ${page}: HTTP ${r.status}`)
        const list = JSON.parse(r.body) as { items: unknown[]; metadata: { continue?: string; resourceVersion: string } }
        items += list.items.length
        rv = list.metadata.resourceVersion
        if (list.metadata.continue === undefined) break
        cont = list.metadata.continue
      }
      const status = await openWatch(`${coll}?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`, info.ca)
      if (status !== 200) throw new Error(`watch: HTTP ${status}`)
      return items
    }
    const bases = Object.values(info.shards)
    // The target: the wildcard Workspace list + watch on every shard. Then the logical clusters too, as
    // the proxy's controller lists both (reported, no target).
    const workspaces = await Promise.all(bases.map((b) => listAndWatch(`${b}/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces:${info.identity}`)))
    const ms = performance.now() - start
    const cpuWs = cpuSeconds(child.pid) - cpu0
    const clusters = await Promise.all(bases.map((b) => listAndWatch(`${b}/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters`)))
    const msBoth = performance.now() - start
    agent.destroy()
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
    const total = sum(workspaces)
    // + one organisation workspace per shard; logical clusters also count root's own.
    if (total !== WORKSPACE_COUNT + bases.length || sum(clusters) !== WORKSPACE_COUNT + bases.length + 1) throw new Error(`listed ${total} workspaces and ${sum(clusters)} logical clusters, expected ${WORKSPACE_COUNT + bases.length} and ${WORKSPACE_COUNT + bases.length + 1}`)
    console.log(`list (limit=500) + watch of ${total} workspaces on ${bases.length} shards: ${Math.round(ms)} ms (target < 5000), emulator CPU ${cpuWs.toFixed(2)} s`)
    console.log(`  then the ${sum(clusters)} logical clusters as well (what the proxy's controller lists): ${Math.round(msBoth)} ms for both, emulator CPU ${(cpuSeconds(child.pid) - cpu0).toFixed(2)} s`)
  } finally {
    child.kill('SIGTERM')
  }
}

const serveIdx = process.argv.indexOf('--serve')
if (serveIdx >= 0) await serve(process.argv[serveIdx + 1] ?? 'get')
else {
  if (PIN) pinToCpus(process.pid, '0')
  console.log(`node ${process.version}, emulator in a child process${PIN ? ' pinned to its own CPU, load generator on CPU 0' : ''}`)
  await benchWorkspaces()
  const ours = await benchGet('get')
  const bare = await benchGet('bare')
  console.log(`GET: emulator ${Math.round(ours)} req/s (target ≥ 15000) = ${(ours / bare).toFixed(2)} × a bare node:https server in the same run`)
}
