// Proxy throughput, latency and CPU efficiency, side by side in one run:
//   direct to the shard | our front-proxy | naive fastify + @fastify/http-proxy | minimal node:https + undici | nginx
// Every target serves the same 1 KiB configmap GET from the same emulated shard.
// Usage: npx tsx bench/proxy.bench.ts [--runs 3] [--seconds 5] [--connections 1,50,500]
//          [--targets direct,ours,naive-fastify,minimal-undici,nginx,ours-w2] [--probe 2000] [--no-pin] [--json out.json]
//          [--before <another checkout>] [--ours <another checkout>] [--clients h1,h1c,h2,h2m10] [--sampling 10000]
//          [--shard-http2] [--static-shard] [--targets …,ours-http1,ours-http2]
// --shard-http2: the emulated shard offers HTTP/2 (ALPN h2 + http/1.1), as real kcp shards do; ours
// then runs its default shard transport (auto: short requests on HTTP/1.1, watches on HTTP/2).
// ours-http1 / ours-http2 (not among the defaults): ours with --backend-protocol=http1 / http2; adds
// ours / ours-http1 (issue 15: the default transport ≥ HTTP/1.1 to the shard).
// ours-traced (not among the defaults): ours with --tracing-config-file, --sampling per million
// (default 1 %) exported to an in-process OTLP/gRPC receiver; adds ours-traced / ours per CPU-s.
// ours-w<N> (not among the defaults): the CLI with --workers N, for the workers' scaling figure
// (req/s against ours, one process); it is never pinned, so measure it with --no-pin.
// --clients: h1 = autocannon (HTTP/1.1 keep-alive), h1c = h2load --h1 (HTTP/1.1 from a client in C,
// a fraction of autocannon's CPU), h2 = h2load with 1 stream per connection, h2m10 = h2load with
// 10; HTTP/2 clients run against our proxy (and ours-before) only, the other targets serve
// HTTP/1.1. Ratios ours with HTTP/2 clients / ours with HTTP/1.1 clients.
// --static-shard: nginx stands in for the workspace's shard and answers the GET itself
// (bench/lib/static-shard.ts), so the shard's CPU no longer caps what the proxies can show; for
// the workers' scaling figure on a 2-core machine: --static-shard --no-pin --clients h1c,h2.
import { openSession } from './lib/session.js'
import { h2loadAvailable, runH2load } from './lib/h2load.js'
import { directTarget, startOurs, startOursWorkers, startNaive, startNginx, nginxAvailable, type OursName, type Target, type TargetName } from './lib/targets.js'
import { runLoad, latencyProbe, PROBE_BLOCK, type LoadResult, type ProbeResult } from './lib/load.js'
import { kubeRequest, tlsAgent } from './lib/kube-http.js'
import { startOursTraced, type TracedTarget } from './lib/traced.js'
import { startStaticShard } from './lib/static-shard.js'
import { median, perRunRatios, fmtRatioSpread, pairedDifference, fmt, markdownTable, parseArgs, numberArg, emitReport } from './lib/stats.js'

const args = parseArgs(process.argv.slice(2))
const runs = numberArg(args, 'runs', 3)
const seconds = numberArg(args, 'seconds', 5)
const probeCount = numberArg(args, 'probe', 2000)
const connectionLevels = (args.get('connections') ?? '1,50,500').split(',').map(Number)
const wanted = new Set((args.get('targets') ?? 'direct,ours,naive-fastify,minimal-undici,nginx').split(',') as TargetName[])
const pin = args.get('no-pin') !== 'true'
const shardHttp2 = args.get('shard-http2') === 'true'
const staticShard = args.get('static-shard') === 'true'
/** Targets that are ours with another --backend-protocol than the default. */
const transportTargets = (['ours-http1', 'ours-http2'] as const).filter((n) => wanted.has(n))
// --before <checkout>: also run that checkout's proxy as target `ours-before`, so a change is
// measured against its predecessor in the same runs (paired ratio ours / ours-before).
const beforeCheckout = args.get('before')
// --ours <checkout>: run that checkout's proxy as `ours` instead of this one's, to measure one past
// change alone (e.g. --ours <the change> --before <its parent>) with today's benchmark code.
const oursCheckout = args.get('ours')
const clientKinds = (args.get('clients') ?? 'h1').split(',')
for (const k of clientKinds) if (!['h1', 'h1c', 'h2', 'h2m10'].includes(k)) throw new Error(`--clients: h1, h1c, h2 or h2m10, got ${k}`)
if (clientKinds.some((k) => k !== 'h1') && !h2loadAvailable()) throw new Error(`--clients ${clientKinds.join(',')}: h2load is not installed (apt-get install nghttp2-client)`)
/** HTTP/2 client kinds, run against ours only. */
const isH2 = (kind: string): boolean => kind.startsWith('h2')
/** The load key of a target with a client kind: `ours` (h1), `ours[h2]`, `ours[h2m10]`. */
const keyOf = (name: string, kind: string): string => (kind === 'h1' ? name : `${name}[${kind}]`)

async function main(): Promise<void> {
  const session = await openSession({ pin, topologyArgs: shardHttp2 ? ['--http2', 'true'] : [] })
  try {
    const topo = session.topo.info
    // Started before the proxies, so they find the Shard at the stand-in from their first list.
    const stand = staticShard ? await startStaticShard(session.dir, session.topo, { http2: shardHttp2 }) : undefined
    if (stand !== undefined) { session.defer(() => stand.stop()); session.pinServer(stand.pid) }
    const shardPid = stand?.pid ?? session.topo.pid
    const targets: Target[] = []
    if (wanted.has('direct')) targets.push(directTarget(topo))
    if (wanted.has('ours')) targets.push(await startOurs(session.dir, topo, session.serving, { v: 2, checkout: oursCheckout }))
    if (beforeCheckout !== undefined) targets.push(await startOurs(session.dir, topo, session.serving, { v: 2, name: 'ours-before', checkout: beforeCheckout }))
    for (const name of transportTargets) targets.push(await startOurs(session.dir, topo, session.serving, { v: 2, name, extra: { backendProtocol: name === 'ours-http1' ? 'http1' : 'http2' } }))
    let traced: TracedTarget | undefined
    if (wanted.has('ours-traced')) {
      traced = await startOursTraced(session.dir, topo, session.serving, numberArg(args, 'sampling', 10_000))
      const receiver = traced.receiver
      session.defer(() => receiver.close())
      targets.push(traced.target)
    }
    // ours-w<N>: the CLI with --workers N. Not pinned: its workers need more than the one server
    // CPU, so the scaling figure (ours-w2 / ours req/s) wants --no-pin, where ours runs unpinned too.
    const oursWorkers = [...wanted].filter((n) => /^ours-w\d+$/.test(n))
    for (const name of oursWorkers) targets.push(await startOursWorkers(session.dir, topo, session.serving, { workers: Number(name.slice('ours-w'.length)), name: name as OursName }))
    if (oursWorkers.length > 0 && session.pinned) process.stderr.write(`note: ${oursWorkers.join(', ')} not pinned (the workers need every CPU); run with --no-pin for the workers' scaling figure\n`)
    if (wanted.has('naive-fastify')) targets.push(await startNaive(topo, session.serving))
    if (wanted.has('minimal-undici')) targets.push(await startNaive(topo, session.serving, 'minimal-undici'))
    if (wanted.has('nginx')) {
      const n = await startNginx(session.dir, topo, session.serving)
      if (n) targets.push(n)
      else process.stderr.write('nginx not installed (apt-get install nginx-light): skipping that column\n')
    }
    for (const t of targets) { session.defer(() => t.stop()); if (!/^ours-w\d+$/.test(t.name)) session.pinServer(t.pid) }

    const headers = { authorization: `Bearer ${topo.adminToken}`, accept: 'application/json' }
    const caFor = (t: Target): string => (t.name === 'direct' ? topo.files.caCert : session.serving.caCert)
    const pem = new Map<string, string>()
    const { readFileSync } = await import('node:fs')
    for (const t of targets) pem.set(t.name, readFileSync(caFor(t), 'utf8'))

    // Sanity: every target answers 200 with the same object, or the comparison is meaningless.
    const sizes = new Map<string, number>()
    for (const t of targets) {
      const agent = tlsAgent({ ca: pem.get(t.name)! })
      const r = await kubeRequest(agent, t.objectURL, { token: topo.adminToken })
      await agent.close()
      if (r.status !== 200) throw new Error(`${t.name}: GET ${t.objectURL} → HTTP ${r.status}: ${r.text.slice(0, 300)}`)
      sizes.set(t.name, r.text.length)
    }
    process.stderr.write(`response sizes: ${JSON.stringify(Object.fromEntries(sizes))}; pinned: ${session.pinned}\n`)

    const loads = new Map<string, LoadResult[]>()
    const probes = new Map<string, ProbeResult[]>()
    const push = <T>(m: Map<string, T[]>, k: string, v: T): void => { m.set(k, [...(m.get(k) ?? []), v]) }
    for (let run = 1; run <= runs; run++) {
      // Interleave targets inside each run so drift (other load on the machine) hits all of them alike.
      const probed = await latencyProbe(targets.map((t) => ({ name: t.name, url: t.objectURL, headers, ca: pem.get(t.name)! })), { warmup: 200, count: probeCount })
      for (const [name, p] of probed) push(probes, name, p)
      for (const t of targets) {
        const ca = pem.get(t.name)!
        for (const kind of clientKinds) {
          if (isH2(kind) && !t.name.startsWith('ours')) continue
          const name = keyOf(t.name, kind)
          for (const c of connectionLevels) {
            const r = kind === 'h1'
              ? await runLoad({ url: t.objectURL, connections: c, seconds, headers, ca, proxyPid: t.pid, shardPid })
              : await runH2load({ url: t.objectURL, connections: c, streams: kind === 'h2m10' ? 10 : 1, h1: kind === 'h1c', seconds, headers, proxyPid: t.pid, shardPid })
            if (r.non2xx > 0 || r.errors > 0) process.stderr.write(`WARNING ${name} c=${c}: ${r.non2xx} non-2xx, ${r.errors} errors\n`)
            if (r.rampErrors > 0) process.stderr.write(`note ${name} c=${c}: ${r.rampErrors} errors or timeouts while the connections were set up (before the window)\n`)
            if (r.connectedBeforeWindow < c) process.stderr.write(`WARNING ${name} c=${c}: only ${r.connectedBeforeWindow} connections answered before the window opened (handshakes spilled in)\n`)
            push(loads, `${name}@${c}`, r)
            process.stderr.write(`run ${run} ${name} c=${c}: ${fmt(r.rps)} req/s, p50 ${r.p50ms} ms, ${fmt(r.reqPerProxyCpuSec)} req/proxy-CPU-s\n`)
          }
        }
      }
    }

    const med = (k: string, f: (r: LoadResult) => number): number => median((loads.get(k) ?? []).map(f))
    const rows: string[][] = []
    const rowNames = targets.flatMap((t) => clientKinds.filter((k) => !isH2(k) || t.name.startsWith('ours')).map((k) => ({ name: keyOf(t.name, k), pid: t.pid })))
    for (const t of rowNames) {
      for (const c of connectionLevels) {
        const k = `${t.name}@${c}`
        rows.push([t.name, String(c), fmt(med(k, (r) => r.rps)), fmt(med(k, (r) => r.p50ms)), fmt(med(k, (r) => r.p99ms)),
          t.pid ? fmt(med(k, (r) => r.reqPerProxyCpuSec)) : '—', fmt(med(k, (r) => r.reqPerShardCpuSec))])
      }
    }
    const probeRows = targets.map((t) => {
      const ps = probes.get(t.name) ?? []
      return [t.name, fmt(median(ps.map((p) => p.p50us))), fmt(median(ps.map((p) => p.p99us)))]
    })
    const cpuRuns = (name: string, c: number): number[] => (loads.get(`${name}@${c}`) ?? []).map((r) => r.reqPerProxyCpuSec)
    /** Paired ratio of requests per proxy CPU-second: row `a` at `ca` connections / row `b` at `cb`. */
    const cpu2 = (a: string, ca: number, b: string, cb: number): string => fmtRatioSpread(perRunRatios(cpuRuns(a, ca), cpuRuns(b, cb)))
    const cpu = (a: string, b: string, c: number): string => cpu2(a, c, b, c)
    const p50s = (name: string): number[] => (probes.get(name) ?? []).map((p) => p.p50us)
    const added = (name: string): number => pairedDifference(p50s(name), p50s('direct'))
    const ratioRows = connectionLevels.map((c) => [String(c),
      cpu('ours', 'naive-fastify', c), cpu('ours', 'nginx', c), cpu('ours', 'minimal-undici', c), cpu('minimal-undici', 'naive-fastify', c),
      ...(beforeCheckout !== undefined ? [cpu('ours', 'ours-before', c), cpu('ours-before', 'minimal-undici', c)] : [])])

    const h2Kinds = clientKinds.filter(isH2)
    // Against each HTTP/1.1 client run: h1c is the same program as the HTTP/2 clients (h2load), so
    // ours[h2] / ours[h1c] differs in the protocol alone; autocannon (h1) paces its requests otherwise.
    const h1Kinds = clientKinds.filter((k) => !isH2(k))
    const clientPairs = h2Kinds.flatMap((k) => h1Kinds.map((h) => [k, h] as const))
    const clientRows = clientPairs.length === 0 ? [] : connectionLevels.map((c) => [String(c), ...clientPairs.map(([k, h]) => cpu(keyOf('ours', k), keyOf('ours', h), c)),
      ...(beforeCheckout !== undefined ? h2Kinds.map((k) => cpu(keyOf('ours', k), keyOf('ours-before', k), c)) : [])])
    // --workers scaling: throughput of N workers over one process, paired per run (target ≥ 1.7 at 500 with 2).
    const rpsRuns = (name: string, c: number): number[] => (loads.get(`${name}@${c}`) ?? []).map((r) => r.rps)
    const scalingRows = oursWorkers.length === 0 ? [] : clientKinds.flatMap((k) => connectionLevels.map((c) => [String(c), k,
      ...oursWorkers.flatMap((w) => [fmtRatioSpread(perRunRatios(rpsRuns(keyOf(w, k), c), rpsRuns(keyOf('ours', k), c))), cpu(keyOf(w, k), keyOf('ours', k), c)])]))
    // Load levels: each ours row at every level / itself at the first level, paired per run
    // (issue 15: ours at 500 connections ≥ 0.9× ours at 50).
    const oursRows = rowNames.filter((r) => r.name.startsWith('ours')).map((r) => r.name)
    const levelRows = connectionLevels.length < 2 ? [] : connectionLevels.slice(1).map((c) => [`${c} / ${connectionLevels[0]}`,
      ...oursRows.map((n) => cpu2(n, c, n, connectionLevels[0]))])
    const transportRows = transportTargets.length === 0 ? [] : connectionLevels.map((c) => [String(c), ...transportTargets.map((n) => cpu('ours', n, c))])
    // Tracing: requests per proxy CPU-second with tracing on (sampled at --sampling) / off (target ≥ 0.9 at 1 %).
    const tracedRows = traced === undefined ? [] : connectionLevels.map((c) => [String(c), cpu('ours-traced', 'ours', c)])
    const report = [
      `## Proxy benchmark — ${new Date().toISOString()}`,
      `node ${process.version}, ${runs} runs × ${seconds} s per level (each after a ramp-up until every connection has answered, at least 1 s), medians; CPU pinned: ${session.pinned}` +
        (stand !== undefined ? '; shard: nginx answering the GET itself (--static-shard), its CPU in the shard column' : ''),
      '',
      markdownTable(['target', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'req per proxy CPU-s', 'req per shard CPU-s'], rows),
      '',
      `Latency at 1 connection (sequential undici probe, ${probeCount} GETs per target and run, the targets interleaved in blocks of ${PROBE_BLOCK}), µs:`,
      '',
      markdownTable(['target', 'p50 µs', 'p99 µs'], probeRows),
      '',
      `Added p50 over direct (median of the per-run differences): ours ${fmt(added('ours'))} µs (target ≤ 150), ` +
        `naive-fastify ${fmt(added('naive-fastify'))} µs, minimal-undici ${fmt(added('minimal-undici'))} µs, nginx ${fmt(added('nginx'))} µs`,
      '',
      'Requests per proxy CPU-second, ratios (median of the per-run ratios, with their 25th–75th percentile; targets: ours/naive ≥ 1.5, ours/nginx ≥ 0.25):',
      '',
      markdownTable(['connections', 'ours / naive-fastify', 'ours / nginx', 'ours / minimal-undici', 'minimal-undici / naive-fastify',
        ...(beforeCheckout !== undefined ? ['ours / ours-before', 'ours-before / minimal-undici'] : [])], ratioRows),
      ...(clientRows.length === 0 ? [] : ['', 'HTTP/2 clients (h2load; [h2] = 1 stream per connection, [h2m10] = 10): requests per proxy CPU-second, ours with HTTP/2 clients / ours with HTTP/1.1 clients (target ≥ 0.9 at 50 and 500)' +
        (beforeCheckout !== undefined ? ', and against ours-before with the same clients' : '') + '; the p50 column of h2load rows is its mean:', '',
        markdownTable(['connections', ...clientPairs.map(([k, h]) => `ours[${k}] / ${keyOf('ours', h)}`), ...(beforeCheckout !== undefined ? h2Kinds.map((k) => `ours[${k}] / ours-before[${k}]`) : [])], clientRows)]),
      ...(levelRows.length === 0 ? [] : ['', 'Load levels: requests per proxy CPU-second at each level / the same row at the first level (target: ours at 500 ≥ 0.9× ours at 50):', '',
        markdownTable(['connections', ...oursRows], levelRows)]),
      ...(transportRows.length === 0 ? [] : ['', `Shard transport (the shard ${shardHttp2 ? 'offers HTTP/2' : 'speaks HTTP/1.1 only: use --shard-http2'}): requests per proxy CPU-second, ours (default --backend-protocol=auto) / ours with another protocol (target ≥ 1 against ours-http1):`, '',
        markdownTable(['connections', ...transportTargets.map((n) => `ours / ${n}`)], transportRows)]),
      ...(scalingRows.length === 0 ? [] : ['', `Workers (the CLI with --workers N, unpinned${session.pinned ? ' while ours is pinned to one CPU: use --no-pin for the scaling figure' : ''}): req/s of N workers / req/s of ours (target ≥ 1.7 at 500 connections with 2), and their requests per CPU-second (all processes) / ours:`, '',
        markdownTable(['connections', 'client', ...oursWorkers.flatMap((w) => [`${w} / ours req/s`, `${w} / ours per CPU-s`])], scalingRows)]),
      ...(traced === undefined ? [] : ['', `Tracing (ours-traced: sampling ${numberArg(args, 'sampling', 10_000)} per million, OTLP/gRPC to an in-process receiver that took ${traced.receiver.spans.length} spans): requests per proxy CPU-second, ours-traced / ours (target ≥ 0.9 at 1 %):`, '',
        markdownTable(['connections', 'ours-traced / ours'], tracedRows)]),
      beforeCheckout !== undefined ? `\nours-before: the proxy of ${beforeCheckout}; its added p50 over direct ${fmt(added('ours-before'))} µs` : '',
      nginxAvailable() ? '' : '\n(nginx not installed: its column is empty)',
    ].join('\n')
    emitReport(report, args, { loads, probes })
  } finally {
    await session.close()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exitCode = 1
})
