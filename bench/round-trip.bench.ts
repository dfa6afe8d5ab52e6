// What "requests per proxy CPU-second" measures at 1 connection (issue 16): the proxy's CPU per
// request depends on how long each round trip takes, not only on the work it does. One proxy (no
// authentication) in front of the emulated shard, pinned with it to one core; the shard is made to
// wait an idle `--latency-ms` before answering (setLatency: a timer, no CPU), alternating with no
// wait, inside every run. The proxy's work per request is identical in both; only the wall time differs.
// Usage: npx tsx bench/round-trip.bench.ts [--runs 5] [--seconds 3] [--latency-ms 1] [--connections 1] [--no-pin]
import { openSession } from './lib/session.js'
import { startOurs } from './lib/targets.js'
import { runLoad, type LoadResult } from './lib/load.js'
import { fmt, fmtRatioSpread, markdownTable, median, numberArg, parseArgs, perRunRatios } from './lib/stats.js'

const args = parseArgs(process.argv.slice(2))
const runs = numberArg(args, 'runs', 5)
const seconds = numberArg(args, 'seconds', 3)
const latencyMs = numberArg(args, 'latency-ms', 1)
const connections = numberArg(args, 'connections', 1)

const session = await openSession({ pin: args.get('no-pin') !== 'true' })
try {
  const topo = session.topo.info
  const ours = await startOurs(session.dir, topo, session.serving, { name: 'ours' })
  session.defer(() => ours.stop())
  session.pinServer(ours.pid)
  const load = (c: number, s: number): Promise<LoadResult> => runLoad({
    url: ours.objectURL, connections: c, seconds: s, ca: session.serving.ca, proxyPid: ours.pid, shardPid: session.topo.pid,
    headers: { accept: 'application/json', authorization: `Bearer ${topo.adminToken}` },
  })
  await load(50, 2) // warm-up: JIT and pools
  const byWait = new Map<number, LoadResult[]>([[0, []], [latencyMs, []]])
  for (let run = 1; run <= runs; run++) {
    // Alternating order, so drift hits both alike.
    for (const ms of run % 2 === 1 ? [0, latencyMs] : [latencyMs, 0]) {
      await session.topo.request('setLatency', { ms })
      const r = await load(connections, seconds)
      if (r.non2xx > 0 || r.errors > 0) process.stderr.write(`WARNING wait ${ms} ms: ${r.non2xx} non-2xx, ${r.errors} errors\n`)
      byWait.get(ms)!.push(r)
      process.stderr.write(`run ${run} wait ${ms} ms: ${fmt(r.rps)} req/s, proxy ${fmt(1e6 / r.reqPerProxyCpuSec)} µs CPU/request, shard ${fmt(1e6 / r.reqPerShardCpuSec)}\n`)
    }
  }
  await session.topo.request('setLatency', { ms: 0 })
  const rows = [...byWait].map(([ms, rs]) => [`${ms} ms`, fmt(median(rs.map((r) => r.rps))), fmt(median(rs.map((r) => 1e6 / r.reqPerProxyCpuSec))), fmt(median(rs.map((r) => 1e6 / r.reqPerShardCpuSec)))])
  const slow = perRunRatios(byWait.get(latencyMs)!.map((r) => r.reqPerProxyCpuSec), byWait.get(0)!.map((r) => r.reqPerProxyCpuSec))
  process.stdout.write([
    `## Proxy CPU per request against the round trip's wall time — ${new Date().toISOString()}`,
    `node ${process.version}, ${runs} runs × ${seconds} s, ${connections} connection(s), medians; CPU pinned: ${session.pinned}`, '',
    markdownTable(['shard waits (idle)', 'req/s', 'proxy µs CPU per request', 'shard µs CPU per request'], rows), '',
    `Proxy requests per CPU-second with the wait / without (paired per run): ${fmtRatioSpread(slow)}. The proxy does the same work in both;`,
    'below 1 means its CPU per request grows with the time it waits (wake-ups on an idle core), so a 1-connection ratio moves with the shard\'s time per request too.', '',
  ].join('\n'))
} finally {
  await session.close()
}
