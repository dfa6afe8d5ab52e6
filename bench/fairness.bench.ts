// Fair sharing between tenants (issue 19 §2): a quiet tenant's p99 latency on a shard, alone and
// while a noisy tenant keeps `noisy` requests in flight on the same shard, with fair queuing on
// and off. The shard answers every request after `latency` ms (emulator latency), so the noisy
// tenant's requests hold the shard's --backend-max-connections connections and fill its queue.
// The proxy passes bearer tokens to the shard, so each tenant is a workspace (one flow per logical
// cluster for requests the proxy does not authenticate): noisy = root:bench, quiet = root.
// Target: quiet p99 with the noisy tenant ≤ 2 × quiet p99 alone, with fair queuing on.
// Usage: npx tsx bench/fairness.bench.ts [--runs 3] [--noisy 500] [--quiet 200] [--latency 200] [--no-pin]
//          [--ignore-retry-after] (the noisy tenant resends refused requests at once instead of after Retry-After)
import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { openSession } from './lib/session.js'
import { startOurs, type OursTarget } from './lib/targets.js'
import { fmt, markdownTable, median, numberArg, parseArgs, percentile } from './lib/stats.js'

const args = parseArgs(process.argv.slice(2))
const runs = numberArg(args, 'runs', 3)
const noisy = numberArg(args, 'noisy', 500)
const quietRequests = numberArg(args, 'quiet', 200)
const latencyMs = numberArg(args, 'latency', 200)
const pin = args.get('no-pin') !== 'true'
const ignoreRetryAfter = args.get('ignore-retry-after') === 'true'

interface Round { alone: number; withNoisy: number; noisyServed: number; noisyRefused: number }

async function main(): Promise<void> {
  const session = await openSession({ pin, topologyArgs: ['--shards', 'root'] })
  try {
    const topo = session.topo.info
    const shard = topo.workspace.shard
    const ca = readFileSync(session.serving.caCert, 'utf8')
    const headers = { authorization: `Bearer ${topo.adminToken}` }
    const results = new Map<string, Round[]>()
    for (const fair of [true, false]) {
      const name = fair ? 'ours-fair' : 'ours-fifo'
      const target: OursTarget = await startOurs(session.dir, topo, session.serving, { v: 1, name, label: null, extra: { enableFairQueuing: fair } })
      session.pinServer(target.pid)
      const quietURL = target.clusterURL.replace(`root:${topo.workspace.name}`, 'root') + '/api'
      const rounds: Round[] = []
      for (let run = 0; run < runs; run++) {
        const quietAgent = new Agent({ connect: { ca }, connections: 1 })
        const noisyAgent = new Agent({ connect: { ca }, connections: noisy })
        const quietP99 = async (): Promise<number> => {
          const ms: number[] = []
          for (let i = 0; i < quietRequests; i++) {
            const t0 = performance.now()
            const r = await request(quietURL, { dispatcher: quietAgent, headers })
            await r.body.text()
            if (r.statusCode !== 200) throw new Error(`quiet request answered ${r.statusCode}`)
            ms.push(performance.now() - t0)
          }
          return percentile(ms, 99)
        }
        await session.topo.request('setLatency', { shard, ms: latencyMs })
        const alone = await quietP99()
        // The noisy tenant: `noisy` concurrent clients, each sending again as soon as answered; after a 429
        // it waits Retry-After as client-go does (--ignore-retry-after: at once, a client that floods).
        let stop = false, served = 0, refused = 0
        const client = async (): Promise<void> => {
          while (!stop) {
            const r = await request(target.objectURL, { dispatcher: noisyAgent, headers }).catch(() => undefined)
            if (r === undefined) continue
            await r.body.text()
            if (r.statusCode !== 429) {
              served++
              continue
            }
            refused++
            const after = Number(r.headers['retry-after'])
            if (!ignoreRetryAfter && after > 0) await new Promise((resolve) => setTimeout(resolve, after * 1000))
          }
        }
        const clients = Array.from({ length: noisy }, client)
        // Let the noisy tenant fill the connections and the queue before measuring.
        await new Promise((resolve) => setTimeout(resolve, latencyMs * 3))
        const withNoisy = await quietP99()
        stop = true
        await Promise.all(clients)
        await session.topo.request('setLatency', { shard, ms: 0 })
        await Promise.all([quietAgent.close(), noisyAgent.close()])
        rounds.push({ alone, withNoisy, noisyServed: served, noisyRefused: refused })
      }
      results.set(name, rounds)
      await target.stop()
    }
    const rows = [...results].map(([name, rs]) => {
      const alone = median(rs.map((r) => r.alone))
      const withNoisy = median(rs.map((r) => r.withNoisy))
      return [name, fmt(alone, 1), fmt(withNoisy, 1), fmt(withNoisy / alone, 2), fmt(median(rs.map((r) => r.noisyServed))), fmt(median(rs.map((r) => r.noisyRefused)))]
    })
    process.stdout.write(`\nquiet tenant p99 (ms), median of ${runs} runs; shard latency ${latencyMs} ms, noisy tenant ${noisy} concurrent; target: ratio ≤ 2 with fair queuing\n\n`)
    process.stdout.write(markdownTable(['proxy', 'quiet p99 alone', 'quiet p99 with noisy', 'ratio', 'noisy answered', 'noisy 429'], rows) + '\n')
  } finally {
    await session.close()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`)
  process.exitCode = 1
})
