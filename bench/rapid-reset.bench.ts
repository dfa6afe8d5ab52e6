// HTTP/2 rapid reset (CVE-2023-44487) at the scale it was reported against this proxy: 46
// connections × 2,000 HEADERS+RST_STREAM pairs over 3 s. Per target and run: how long a normal
// request takes once the attack is over, the slowest normal request during it, and how many
// connections the proxy opened to the shard and requests that reached it. The regression test
// (test/attacks/cve-2023-44487-http2-rapid-reset.test.ts) pins the behaviour; this measures it.
// Usage: npx tsx bench/rapid-reset.bench.ts [--runs 3] [--connections 46] [--pairs 2000] [--seconds 3]
//                                            [--before <another checkout>] [--no-pin]
import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { openSession } from './lib/session.js'
import { startChild } from './lib/child.js'
import { startOurs, type OursTarget } from './lib/targets.js'
import { fmt, markdownTable, median, numberArg, parseArgs } from './lib/stats.js'
import type { ShardStats } from '../src/emulator/types.js'

const args = parseArgs(process.argv.slice(2))
const runs = numberArg(args, 'runs', 3)
const connections = numberArg(args, 'connections', 46)
const pairs = numberArg(args, 'pairs', 2000)
const seconds = numberArg(args, 'seconds', 3)
const before = args.get('before')
const pin = args.get('no-pin') !== 'true'
/** A normal request slower than this counts as "no answer" (the old proxy stalled for 50–137 s). */
const GIVE_UP_MS = 180_000

interface Round { recoveryMs: number; worstDuringMs: number; connects: number; reached: number; sent: number }

async function main(): Promise<void> {
  const session = await openSession({ pin })
  try {
    const topo = session.topo.info
    const targets: OursTarget[] = [await startOurs(session.dir, topo, session.serving, { v: 2, label: null })]
    if (before !== undefined) targets.push(await startOurs(session.dir, topo, session.serving, { v: 2, name: 'ours-before', checkout: before, label: null }))
    for (const t of targets) { session.defer(() => t.stop()); session.pinServer(t.pid) }
    const ca = readFileSync(session.serving.caCert, 'utf8')
    const agent = new Agent({ connect: { ca }, headersTimeout: GIVE_UP_MS, bodyTimeout: GIVE_UP_MS })
    session.defer(() => agent.close())
    const get = async (url: string): Promise<number> => {
      const t0 = performance.now()
      try {
        const r = await request(url, { dispatcher: agent, headers: { authorization: `Bearer ${topo.adminToken}` }, signal: AbortSignal.timeout(GIVE_UP_MS) })
        await r.body.text()
        if (r.statusCode !== 200) process.stderr.write(`note: probe answered ${r.statusCode}\n`)
      } catch (e) {
        process.stderr.write(`note: probe failed: ${(e as Error).message}\n`)
        return GIVE_UP_MS
      }
      return performance.now() - t0
    }
    const stats = async (): Promise<ShardStats> => (await session.topo.request<Record<string, ShardStats>>('stats'))[topo.workspace.shard]

    const rounds = new Map<string, Round[]>()
    for (let run = 1; run <= runs; run++) {
      for (const t of targets) {
        await get(t.objectURL)
        const attacker = await startChild<Record<string, never>>(new URL('./lib/children/rapid-reset.ts', import.meta.url).pathname, {
          args: ['--url', t.clusterURL.replace(/\/clusters\/.*$/, ''), '--ca', session.serving.caCert, '--path', new URL(t.objectURL).pathname,
            '--token', topo.adminToken, '--connections', String(connections), '--pairs', String(pairs), '--seconds', String(seconds)],
          label: null,
        })
        const s0 = await stats()
        let attacking = true
        let worst = 0
        const probing = (async () => {
          for (let i = 0; attacking && i < 10_000; i++) {
            worst = Math.max(worst, await get(t.objectURL))
            await new Promise((r) => setTimeout(r, 100))
          }
        })()
        const attack = await attacker.request<{ sent: number; seconds: number }>('attack', {}, GIVE_UP_MS)
        attacking = false
        const recoveryMs = await get(t.objectURL)
        await probing
        await attacker.stop()
        const s1 = await stats()
        const r: Round = { recoveryMs, worstDuringMs: worst, connects: s1.connections - s0.connections, reached: s1.requests - s0.requests, sent: attack.sent }
        rounds.set(t.name, [...(rounds.get(t.name) ?? []), r])
        process.stderr.write(`run ${run} ${t.name}: ${r.sent} pairs in ${attack.seconds.toFixed(1)} s; after: ${fmt(r.recoveryMs, 1)} ms; worst during: ${fmt(r.worstDuringMs, 1)} ms; shard connects ${r.connects}, requests ${r.reached}\n`)
      }
    }
    const med = (name: string, f: (r: Round) => number, d = 0): string => fmt(median((rounds.get(name) ?? []).map(f)), d)
    const rows = targets.map((t) => [t.name, med(t.name, (r) => r.sent), med(t.name, (r) => r.recoveryMs, 1), med(t.name, (r) => r.worstDuringMs, 1), med(t.name, (r) => r.connects), med(t.name, (r) => r.reached)])
    process.stdout.write([
      `## HTTP/2 rapid reset — ${new Date().toISOString()}`,
      `node ${process.version}; ${connections} connections × ${pairs} HEADERS+RST_STREAM pairs over ${seconds} s; medians of ${runs} runs; CPU pinned: ${session.pinned}`,
      `Targets: a normal request answered ≤ 2 s after the attack; ≤ 20 shard connections opened during it.`,
      '',
      markdownTable(['target', 'reset streams', 'normal request after the attack, ms', 'slowest normal request during it, ms', 'shard connections opened', 'requests that reached the shard'], rows),
      before !== undefined ? `\nours-before: the proxy of ${before}` : '',
    ].join('\n') + '\n')
  } finally {
    await session.close()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exitCode = 1
})
