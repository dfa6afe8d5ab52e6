// --workers over real sockets: the CLI as a child process (through tsx) with 2 workers in front
// of emulated shards, driven and stopped by the test.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request } from 'node:https'
import { caFromPair, issueLoopbackServerCert } from '../../src/pki/index.js'
import { cliTopology, startCli } from '../fixtures/cli-topology.js'
import { eventually } from '../fixtures/eventually.js'

/** A child compiling TypeScript on start (three processes here) is slow on a loaded machine. */
const SLOW = { timeoutMs: 90_000, intervalMs: 200 }


/** The worker processes of the primary (Linux: /proc lists a process's children). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

t.test('--workers 2: one set of watches, both workers serve, metrics summed, a killed worker comes back, SIGTERM stops all', async (t) => {
  const c = await cliTopology('fp-workers-', ['root', 'alpha'])
  const { topo, files: f } = c
  const child = startCli(t, c, [
    '--workers=2', '--metrics-bind-address=127.0.0.1:0', '--shutdown-timeout=5s', '--log-flush-frequency=50ms', `--client-ca-file=${f.clientCACert}`,
  ], { alsoKill: () => childPids(child.pid ?? 0) })
  const failed = (): boolean => child.exitCode !== null
  await eventually('"workers serving"', () => child.output().includes('"msg":"workers serving"') || failed(), SLOW)
  t.notOk(failed(), 'running', { output: child.output().slice(-3000) })
  if (failed()) return
  const url = /"url":"(https:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"serving"/.exec(child.output())?.[1] ?? ''
  const metricsURL = /"metricsURL":"(http:\/\/[^"]+)"/.exec(child.output())?.[1] ?? ''
  t.not(url, '', 'logged the URL')
  // A worker's lines reach stdout through the primary after its ready message, so the primary's
  // "workers serving" may be written before the last worker's "serving" line: wait for both.
  const serving = (): string[] => child.output().split('\n').filter((l) => l.includes('"msg":"serving"'))
  await eventually('both workers logged "serving"', () => serving().length >= 2, SLOW)
  const servingLines = serving()
  t.equal(servingLines.length, 2, 'two workers serve')
  t.equal(new Set(servingLines.map((l) => /"url":"([^"]+)"/.exec(l)?.[1])).size, 1, 'on one port')
  t.match(servingLines[0], /^\{"level":30,"time":\d+,"worker":[12],"name":"kcp-front-proxy"/, 'worker lines carry the worker id')
  t.match(child.output(), /\{"level":30,"time":\d+,"worker":0,"name":"kcp-front-proxy"[^\n]*"msg":"workers serving"/, 'and the primary’s carry 0')

  const admin = { cert: topo.pki.admin.cert, key: topo.pki.admin.key, ca: topo.pki.servingCA.cert }
  let proxied = 0
  /** A GET on a new connection (round-robin across workers); its status. */
  const get = (path: string): Promise<number> => new Promise((resolve) => {
    if (!path.startsWith('/readyz')) proxied++
    const req = request(`${url}${path}`, { ...admin, agent: false, timeout: 10_000 }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('error', () => resolve(0))
    req.on('timeout', () => req.destroy())
    req.end()
  })
  /** Which workers answered `path` with 200 so far, from the request lines. */
  const servedBy = (path: string): Set<number> => {
    const ids = new Set<number>()
    const re = /\{"level":30,"time":\d+,"worker":(\d+),"name":"kcp-front-proxy","method":"GET","path":"([^"]+)"[^\n]*"status":200/g
    for (const m of child.output().matchAll(re)) if (m[2] === path) ids.add(Number(m[1]))
    return ids
  }
  const workerIds = (): number[] => [...new Set([...child.output().matchAll(/"worker":(\d+),"name":"kcp-front-proxy"[^\n]*"msg":"serving"/g)].map((m) => Number(m[1])))]

  t.equal(await get('/readyz'), 200, 'ready')
  const ns = '/clusters/root/api/v1/namespaces'
  await eventually('both workers answering', async () => {
    await get(ns)
    return servedBy(ns).size === 2
  }, SLOW)
  t.same([...servedBy(ns)].sort(), workerIds().sort(), 'requests are answered by both workers')

  // One set of watches: the Shards list on root, Workspaces and LogicalClusters on each shard.
  const watches = (): number => [...topo.shards.values()].reduce((n, s) => n + s.stats.openWatches, 0)
  await eventually('the watches', () => watches() >= 5, SLOW)
  t.equal(watches(), 5, 'the shards see the watches of one process')

  const ws = await topo.createWorkspace('root', 'team')
  const wsPath = '/clusters/root:team/api/v1/namespaces'
  await eventually('the new workspace routable through every worker', async () => {
    await get(wsPath)
    return servedBy(wsPath).size === 2
  }, SLOW)
  t.pass(`root:team (on ${ws.shard}) routes through both workers`)

  // /metrics: the aggregate of both workers and the primary.
  const metrics = (): Promise<string> => new Promise((resolve, reject) => {
    httpRequest(metricsURL, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => resolve(body))
    }).on('error', reject).end()
  })
  const sum = (text: string, family: string): number =>
    text.split('\n').filter((l) => l.startsWith(`${family}{`) || l.startsWith(`${family} `)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
  let text = ''
  await eventually('every proxied request counted', async () => {
    text = await metrics()
    return sum(text, 'proxy_request_duration_seconds_count') === proxied
  }, SLOW)
  t.equal(sum(text, 'proxy_request_duration_seconds_count'), proxied, `/metrics counts the ${proxied} requests of both workers`)
  t.match(text, /^kcp_indexed_logicalclusters\{shard="root"\} \d+$/m, 'and the primary’s controller families')
  t.equal(text.split('\n').filter((l) => l.startsWith('process_start_time_seconds ')).length, 1, 'one process start time')

  // A killed worker is restarted and serves again; the watches stay one set.
  const [victim] = childPids(child.pid ?? 0)
  t.ok(victim !== undefined && alive(victim), 'a worker process')
  const before = workerIds()
  process.kill(victim, 'SIGKILL')
  await eventually('the restarted worker serving', () => workerIds().length === 3, SLOW)
  t.match(child.output(), /"msg":"worker exited unexpectedly; restarting it"/, 'logged')
  const restarted = workerIds().find((id) => !before.includes(id))
  const again = '/clusters/root:team/api/v1/namespaces/default'
  await eventually('the restarted worker answering', async () => {
    await get(again)
    return restarted !== undefined && servedBy(again).has(restarted)
  }, SLOW)
  t.pass(`worker ${restarted} answers, its index from the primary's snapshot`)
  t.equal(watches(), 5, 'still one set of watches')

  // SIGTERM to the primary: the workers drain, the watches stop, everything exits 0.
  const pids = childPids(child.pid ?? 0)
  t.equal(pids.length, 2, 'two workers before the signal')
  child.kill('SIGTERM')
  const { code } = await child.closed
  t.equal(code, 0, 'graceful exit 0', { output: child.output().slice(-3000) })
  t.equal(pids.filter(alive).length, 0, 'no worker left')
  t.equal(child.output().match(/"msg":"shutdown: done"/g)?.length, 2, 'both workers drained')
  t.match(child.output(), /"msg":"shutdown: watches stopped"/, 'then the watches stopped')
  await eventually('the shards see no watch', () => watches() === 0)
})

t.test('--workers 2: a worker that cannot start fails the command as a single process would (exit 1, the error printed)', async (t) => {
  const c = await cliTopology('fp-workers-fail-', ['root'])
  // The serving certificate with another pair's key: only the server, in each worker, finds out.
  await writeFile(c.tlsKey, (await issueLoopbackServerCert(caFromPair(c.topo.pki.servingCA))).key)
  const child = startCli(t, c, ['--workers=2'])
  let pids: number[] = []
  await eventually('the workers', () => (pids = childPids(child.pid ?? 0)).length > 0 || child.exitCode !== null, SLOW)
  const timer = setTimeout(() => child.kill('SIGKILL'), SLOW.timeoutMs)
  const { code } = await child.closed
  clearTimeout(timer)
  t.equal(code, 1, 'exit 1', { output: child.output().slice(-2000) })
  t.match(child.output(), /^Error: .*key/im, 'the worker’s start-up error, printed as the single process prints it')
  t.equal(pids.filter(alive).length, 0, 'no worker left behind')
})

t.test('--workers 2: SIGTERM while the workers are still starting drains them and exits 0', async (t) => {
  const child = startCli(t, await cliTopology('fp-workers-early-', ['root', 'alpha']), ['--workers=2', '--shutdown-timeout=5s'])
  // Before any worker serves: the primary used to die of the signal (no handler yet, exit by signal).
  await eventually('"starting workers"', () => child.output().includes('"msg":"starting workers"') || child.exitCode !== null, SLOW)
  let pids: number[] = []
  await eventually('the workers forked', () => (pids = childPids(child.pid ?? 0)).length > 0 || child.exitCode !== null, SLOW)
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), SLOW.timeoutMs)
  const { code, signal } = await child.closed
  clearTimeout(timer)
  t.same({ code, signal }, { code: 0, signal: null }, 'a graceful exit 0, not death by the signal', { output: child.output().slice(-2000) })
  t.equal(pids.filter(alive).length, 0, 'no worker left behind')
})
