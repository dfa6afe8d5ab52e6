// Many concurrent watches through a proxy: none may break, every one must still deliver
// an event at the end, and the proxy's memory per watch is reported.
// Usage: npx tsx bench/watches.bench.ts [--watches 10000] [--seconds 120] [--target ours|nginx|naive-fastify]
//          [--transport auto|h1|h2] [--concurrency 64] [--backend-protocol auto|http1|http2] [--backend-h2]
// --backend-protocol: our proxy's protocol to the shards (default http1 here, for comparison with earlier
// figures); auto and http2 make the shards serve HTTP/2 too. --backend-h2 = --backend-protocol http2.
// File descriptors: over HTTP/1.1 the proxy holds 2 per watch (client + shard side). When
// the hard limit (ulimit -Hn) cannot hold that, `auto` switches the client side to HTTP/2
// (many watches per connection; the proxy still opens one shard connection per watch).
import { openSession } from './lib/session.js'
import { startChild } from './lib/child.js'
import { startOurs, startNaive, startNginx, type Target } from './lib/targets.js'
import { kubeRequest, tlsAgent } from './lib/kube-http.js'
import { rssBytes, fileLimit, openFds } from './lib/proc.js'
import { fmt, markdownTable, parseArgs, numberArg } from './lib/stats.js'
import type { WatchClientStatus } from './lib/children/watch-client.js'
import { backendProtocols, type BackendProtocol } from '../src/config/types.js'

const args = parseArgs(process.argv.slice(2))
const watches = numberArg(args, 'watches', 10_000)
const seconds = numberArg(args, 'seconds', 120)
const concurrency = numberArg(args, 'concurrency', 64)
const targetName = args.get('target') ?? 'ours'
const transportArg = args.get('transport') ?? 'auto'
// --backend-protocol auto|http1|http2 (the proxy's flag); --backend-h2 = --backend-protocol http2. Shards serve h2 unless http1.
const backendProtocol = (args.get('backend-protocol') ?? (args.has('backend-h2') && args.get('backend-h2') !== 'false' ? 'http2' : 'http1')) as BackendProtocol
if (!backendProtocols.includes(backendProtocol)) throw new Error(`--backend-protocol: ${backendProtocols.join(', ')}, got ${backendProtocol}`)
const backendH2 = backendProtocol !== 'http1'
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const log = (s: string): void => { process.stderr.write(`[watches] ${s}\n`) }

/** HTTP/1.1 needs 2 fds per watch in the proxy, plus headroom for the runtime and the index controller. */
export function transportFor(requested: string, watchCount: number, hardLimit: number, targetSpeaksH2: boolean): 'h1' | 'h2' {
  if (requested === 'h1' || requested === 'h2') return requested
  return 2 * watchCount + 256 <= hardLimit || !targetSpeaksH2 ? 'h1' : 'h2'
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(500)
  }
  log(`timed out waiting for ${what}`)
  return false
}

async function main(): Promise<void> {
  const session = await openSession({ pin: false, topologyArgs: backendH2 ? ['--http2', 'true'] : [] })
  try {
    const topo = session.topo.info
    let target: Target | undefined
    if (targetName === 'ours') target = await startOurs(session.dir, topo, session.serving, { v: 2, extra: { backendProtocol } })
    else if (targetName === 'naive-fastify') target = await startNaive(topo, session.serving)
    else if (targetName === 'nginx') target = await startNginx(session.dir, topo, session.serving, { connections: watches + 1024 })
    if (!target?.pid) throw new Error(`target ${targetName} unavailable`)
    const t = target
    session.defer(() => t.stop())
    const limit = fileLimit()
    const transport = transportFor(transportArg, watches, limit.hard, targetName !== 'naive-fastify')
    log(`target ${t.name} pid ${t.pid}, fd limit ${limit.soft}/${limit.hard}, client transport ${transport}, proxy→shard ${backendProtocol}`)

    const agent = tlsAgent({ ca: session.serving.ca })
    session.defer(() => agent.close())
    const collection = `${t.clusterURL}/api/v1/namespaces/default/configmaps`
    // No resourceVersion: each watch starts with one ADDED event (the 1 KiB configmap), so every
    // stream carries data at once (nginx's HTTP/2 side holds response headers until the first byte).
    const list = await kubeRequest(agent, collection, { token: topo.adminToken })
    if (list.status !== 200) throw new Error(`list through ${t.name}: HTTP ${list.status} ${list.text.slice(0, 200)}`)
    const watchURL = `${collection}?watch=true`
    const shardWatches = async (): Promise<number> => {
      const s = await session.topo.request<Record<string, { openWatches: number }>>('stats')
      return s[topo.workspace.shard].openWatches
    }

    const startClient = () => startChild<{ pid: number }>(new URL('./lib/children/watch-client.ts', import.meta.url).pathname, {
      args: ['--url', watchURL, '--ca', session.serving.caCert, '--token', topo.adminToken, '--h2', String(transport === 'h2'), '--marker', 'watch-ping-0'],
      label: 'watch-client',
    })
    // Warm-up: exercise the watch path once so code and pools exist before the "before" reading.
    // The shard's own watch count (the proxy's index controller) is the baseline to return to.
    const baselineShard = await shardWatches()
    const warm = await startClient()
    await warm.request('open', { count: 100, concurrency })
    await warm.request('closeAll')
    await warm.stop()
    await waitFor('warm-up watches to be released', 30_000, async () => (await shardWatches()) <= baselineShard)
    await sleep(3000)
    const rssBefore = rssBytes(t.pid!)

    const client = await startClient()
    session.defer(() => client.stop())
    const t0 = Date.now()
    const progress = setInterval(() => {
      client.request<WatchClientStatus>('status').then((s) => log(`opening: ${s.open} open, ${s.failed} failed`), () => {})
    }, 5000)
    let st = await client.request<WatchClientStatus>('open', { count: watches, concurrency }, Math.max(600_000, watches * 200)).finally(() => clearInterval(progress))
    const openSeconds = (Date.now() - t0) / 1000
    log(`opened ${st.open}/${watches} in ${openSeconds.toFixed(1)} s (failed ${st.failed}${st.firstError ? `: ${st.firstError}` : ''}); proxy fds ${openFds(t.pid!)}`)

    let rssMax = rssBytes(t.pid!)
    const holdUntil = Date.now() + seconds * 1000
    while (Date.now() < holdUntil) {
      await sleep(Math.min(10_000, Math.max(0, holdUntil - Date.now())))
      rssMax = Math.max(rssMax, rssBytes(t.pid!))
      st = await client.request<WatchClientStatus>('status')
      log(`held ${Math.round((Date.now() - t0) / 1000)} s: open ${st.open}, broken ${st.broken}, proxy RSS ${fmt(rssBytes(t.pid!) / 2 ** 20, 1)} MiB`)
    }
    const rssAfter = rssBytes(t.pid!)
    const shardDuring = await shardWatches()

    // Every held watch must still be live: trigger one event and count who sees it.
    await session.topo.request('seedConfigMaps', { count: 1, bytes: 300, prefix: 'watch-ping' })
    await waitFor('every watch to see the event', 60_000, async () => {
      st = await client.request<WatchClientStatus>('status')
      return st.sawMarker >= st.open
    })
    const delivered = st.sawMarker
    const heldOpen = st.open

    await client.request('closeAll')
    await client.stop()
    const released = await waitFor('shard watches to be released', 30_000, async () => (await shardWatches()) <= baselineShard)
    const shardAfter = await shardWatches()

    const perWatch = (rssAfter - rssBefore) / Math.max(1, heldOpen)
    process.stdout.write([
      `## Watch benchmark — ${new Date().toISOString()}`,
      `target ${t.name}, node ${process.version}, client→proxy ${transport === 'h1' ? 'HTTP/1.1 (one TLS connection per watch)' : 'HTTP/2 (up to 100 watches per connection)'}, proxy→shard ${backendProtocol} (shards ${backendH2 ? 'serve HTTP/2 and HTTP/1.1' : 'HTTP/1.1 only'}), held ${seconds} s`,
      '',
      markdownTable(['watches', 'open after hold', 'broken', 'failed', 'saw final event', 'open time s', 'proxy RSS before MiB', 'after MiB', 'max MiB', 'KiB per watch', 'shard watches: before → during → after close'], [[
        fmt(watches), fmt(heldOpen), fmt(st.broken), fmt(st.failed), fmt(delivered), fmt(openSeconds, 1),
        fmt(rssBefore / 2 ** 20, 1), fmt(rssAfter / 2 ** 20, 1), fmt(rssMax / 2 ** 20, 1), fmt(perWatch / 1024, 1),
        `${fmt(baselineShard)} → ${fmt(shardDuring)} → ${fmt(shardAfter)}${released ? '' : ' (NOT released)'}`,
      ]]),
      '',
      `Target: ≤ 24 KiB per watch; measured: ${fmt(perWatch / 1024, 1)} KiB. ${st.firstError ? `First error: ${st.firstError}` : ''}`,
    ].join('\n') + '\n')
    if (st.broken > 0 || st.failed > 0 || delivered < heldOpen || heldOpen < watches) process.exitCode = 2
  } finally {
    await session.close()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exitCode = 1
})
