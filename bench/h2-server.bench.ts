// What Node's HTTP/2 server costs per request, without any proxying (issue 15: "the core stream
// API skips a layer per request: measure it"). Three bare TLS servers answer the same ≈1 KiB JSON:
//   h1      node:https, loaded by h2load --h1
//   compat  node:http2 with a 'request' handler (Http2ServerRequest/Response: what our proxy uses)
//   core    node:http2's 'stream' event and stream.respond()
// Each server in its own process pinned to one CPU, h2load on the other; per round, each server
// gets a warm-up and then a fixed count of requests, the servers' order alternating between
// rounds; figure = server CPU µs per request (/proc), medians, and paired ratios per round.
// Usage: npx tsx bench/h2-server.bench.ts [--rounds 5] [--requests 40000] [--connections 50] [--streams 1] [--no-pin] [--json out.json]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, availableParallelism } from 'node:os'
import { join } from 'node:path'
import { startChild, pinToCpus, type ChildHandle } from './lib/child.js'
import { mintServing } from './lib/targets.js'
import { cpuSeconds } from './lib/proc.js'
import { h2loadAvailable, parseH2loadSummary } from './lib/h2load.js'
import { median, perRunRatios, fmtRatioSpread, fmt, markdownTable, parseArgs, numberArg } from './lib/stats.js'

const args = parseArgs(process.argv.slice(2))
const rounds = numberArg(args, 'rounds', 5)
const requests = numberArg(args, 'requests', 40_000)
const connections = numberArg(args, 'connections', 50)
const streams = numberArg(args, 'streams', 1)
const pin = args.get('no-pin') !== 'true' && availableParallelism() >= 2
const MODES = ['h1', 'compat', 'core'] as const
type Mode = (typeof MODES)[number]

/** h2load with a fixed count; bounded: killed after 120 s. */
function h2load(url: string, mode: Mode, n: number): Promise<number> {
  const a = [...(mode === 'h1' ? ['--h1'] : []), '-n', String(n), '-c', String(connections), '-m', String(streams), url]
  const cp = pin ? spawn('taskset', ['-c', '0', 'h2load', ...a], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('h2load', a, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  cp.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  const killer = setTimeout(() => cp.kill('SIGKILL'), 120_000)
  return new Promise((resolve, reject) => cp.once('exit', () => {
    clearTimeout(killer)
    try {
      const s = parseH2loadSummary(out)
      if (s.failed + s.errored + s.timeout + s.non2xx > 0) process.stderr.write(`WARNING ${mode}: ${s.failed} failed, ${s.errored} errored, ${s.timeout} timeouts, ${s.non2xx} non-2xx\n`)
      resolve(s.succeeded)
    } catch (e) { reject(e instanceof Error ? e : new Error(String(e))) }
  }))
}

async function main(): Promise<void> {
  if (!h2loadAvailable()) throw new Error('h2load is not installed (apt-get install nghttp2-client)')
  const dir = mkdtempSync(join(tmpdir(), 'kfp-h2server-'))
  const servers: { mode: Mode; child: ChildHandle<{ url: string }> }[] = []
  try {
    if (pin) pinToCpus(process.pid, '0')
    const serving = await mintServing(dir)
    for (const mode of MODES) {
      const child = await startChild<{ url: string }>(new URL('./lib/children/bare-server.ts', import.meta.url).pathname, {
        args: ['--mode', mode, '--cert', serving.cert, '--key', serving.key], label: mode,
      })
      servers.push({ mode, child })
      if (pin) pinToCpus(child.pid, String(availableParallelism() - 1))
    }
    const us = new Map<Mode, number[]>(MODES.map((m) => [m, []]))
    for (let round = 1; round <= rounds; round++) {
      for (const { mode, child } of round % 2 === 1 ? servers : [...servers].reverse()) {
        await h2load(child.info.url, mode, Math.min(10_000, requests))
        const before = cpuSeconds(child.pid)
        const ok = await h2load(child.info.url, mode, requests)
        const cpu = cpuSeconds(child.pid) - before
        us.get(mode)!.push((cpu * 1e6) / ok)
        process.stderr.write(`round ${round} ${mode}: ${fmt((cpu * 1e6) / ok)} µs per request (${ok} answered)\n`)
      }
    }
    const runs = (m: Mode): number[] => us.get(m)!
    const report = [
      `## Bare Node servers — ${new Date().toISOString()}`,
      `node ${process.version}, ${rounds} rounds × ${requests} requests, ${connections} connections × ${streams} streams, CPU pinned: ${pin}`,
      '',
      markdownTable(['server', 'server CPU µs per request (median)', 'per round'], MODES.map((m) => [m, fmt(median(runs(m))), runs(m).map((x) => fmt(x)).join(' ')])),
      '',
      'Requests per server CPU-second, paired per round (median, 25th–75th percentile):',
      '',
      markdownTable(['compat / h1', 'core / h1', 'core / compat'], [[
        fmtRatioSpread(perRunRatios(runs('h1'), runs('compat'))),
        fmtRatioSpread(perRunRatios(runs('h1'), runs('core'))),
        fmtRatioSpread(perRunRatios(runs('compat'), runs('core'))),
      ]]),
    ].join('\n')
    process.stdout.write(report + '\n')
    const json = args.get('json')
    if (json !== undefined) writeFileSync(json, JSON.stringify(Object.fromEntries(us), null, 2))
  } finally {
    for (const s of servers) await s.child.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exitCode = 1
})
