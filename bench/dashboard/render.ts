// Renders the shipped Grafana dashboard (helm/kcp-front-proxy/dashboards/kcp-front-proxy.json)
// against a live system under load, without Grafana or Prometheus (neither can be installed
// here): bench/dashboard/rig.ts runs emulated shards, two proxy replicas and traffic with
// faults; their /metrics are scraped every 2 s like Prometheus would (labels namespace and
// pod added per target); each panel's queries are evaluated with bench/dashboard/promql.ts
// at every scrape, with the variables at "All" and $__rate_interval = 4 scrape intervals
// (Grafana's rule); headless Chromium draws the page (bench/dashboard/html.ts), the panels
// it drew are read back from its DOM — every panel must show data — and it takes the
// screenshot docs/dashboard.png.
//
//   npx tsx bench/dashboard/render.ts [--seconds 150] [--out docs/dashboard.png] [--chromium /usr/bin/chromium]
//
// Chromium: `apt-get install chromium` (Debian). A dev tool: nothing in `npm test` runs it.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { dashboardHtml, pageHeight, PAGE_WIDTH, type PanelData } from './html.js'
import { evaluate, parse, Store } from './promql.js'
import { startRig, runTraffic } from './rig.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt
}
const seconds = Number(arg('seconds', '150'))
const out = resolve(arg('out', join(repo, 'docs/dashboard.png')))
const chromium = arg('chromium', '/usr/bin/chromium')
const SCRAPE_MS = 2000
const RATE_INTERVAL = `${(4 * SCRAPE_MS) / 1000}s`

interface DashboardJSON {
  title: string
  panels: { id: number; type: string; title: string; gridPos: PanelData['gridPos']; fieldConfig?: { defaults?: { unit?: string } }; targets?: { expr: string; legendFormat?: string }[] }[]
}
const dashboard = JSON.parse(readFileSync(join(repo, 'helm/kcp-front-proxy/dashboards/kcp-front-proxy.json'), 'utf8')) as DashboardJSON
const vars = { namespace: '.*', pod: '.*', __rate_interval: RATE_INTERVAL }
// Parse every query first: a query outside the supported subset stops the run before the load does.
const queries = new Map(dashboard.panels.flatMap((p) => (p.targets ?? []).map((q) => [q.expr, parse(q.expr, vars)] as const)))

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let text = ''
    child.stdout.on('data', (d: Buffer) => { text += d.toString() })
    child.stderr.on('data', () => undefined)
    child.on('error', (e) => { text += String(e) })
    child.on('close', (code) => resolveRun({ code, out: text }))
  })
}

const work = mkdtempSync(join(tmpdir(), 'fp-dashboard-'))
const log = (s: string): void => void process.stderr.write(`${s}\n`)
const store = new Store()
const scrapeTimes: number[] = []
try {
  log('starting 4 emulated shards and 2 proxy replicas…')
  const rig = await startRig(join(work, 'kcp'))
  try {
    const startedAt = Date.now()
    const until = startedAt + seconds * 1000
    let scrapeError = ''
    const scraper = (async () => {
      for (let i = 0; Date.now() < until + SCRAPE_MS && i < 10_000; i++) {
        const at = Date.now()
        for (const p of rig.proxies) {
          try {
            store.addScrape(await (await fetch(p.metricsURL)).text(), at, { namespace: 'kcp', pod: p.pod })
          } catch (e) {
            scrapeError = String(e)
          }
        }
        scrapeTimes.push(at)
        await new Promise((r) => setTimeout(r, Math.max(0, at + SCRAPE_MS - Date.now())))
      }
    })()
    log(`traffic for ${seconds} s (scrapes every ${SCRAPE_MS / 1000} s); faults:`)
    await runTraffic(rig, { startedAt, until, log })
    await scraper
    if (scrapeError !== '') log(`a scrape failed: ${scrapeError}`)
  } finally {
    await rig.close()
  }

  const windowMs = Number.parseInt(RATE_INTERVAL) * 1000
  const panels: PanelData[] = dashboard.panels.map((p) => {
    const series = new Map<string, [number, number][]>()
    for (const target of p.targets ?? []) {
      const node = queries.get(target.expr)
      if (node === undefined) continue
      for (const at of scrapeTimes.filter((t) => t >= (scrapeTimes[0] ?? 0) + windowMs)) {
        for (const s of evaluate(node, store, at)) {
          const name = (target.legendFormat ?? '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, l: string) => s.labels[l] ?? '') || JSON.stringify(s.labels)
          let pts = series.get(name)
          if (pts === undefined) series.set(name, (pts = []))
          if (Number.isFinite(s.value)) pts.push([at, s.value])
        }
      }
    }
    return { id: p.id, type: p.type, title: p.title, unit: p.fieldConfig?.defaults?.unit ?? '', gridPos: p.gridPos, series: [...series].map(([name, points]) => ({ name, points })) }
  })

  const html = join(work, 'dashboard.html')
  const subtitle = `Rendered from live /metrics of 2 proxy replicas in front of 4 emulated shards under load for ${seconds} s, queries of the shipped dashboard JSON evaluated every ${SCRAPE_MS / 1000} s (bench/dashboard/render.ts)`
  writeFileSync(html, dashboardHtml(dashboard.title, subtitle, panels))
  const browser = (extra: string[]): Promise<{ code: number | null; out: string }> => {
    const profile = mkdtempSync(join(work, 'chromium-'))
    return run(chromium, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', `--user-data-dir=${profile}`, '--hide-scrollbars', `--window-size=${PAGE_WIDTH},${pageHeight(panels)}`, ...extra, `file://${html}`,
    ], 120_000)
  }

  // What the browser drew: every timeseries panel must have lines, not "No data".
  const dom = await browser(['--dump-dom'])
  if (!dom.out.includes('data-drawn="true"')) throw new Error(`chromium did not draw the page (exit ${dom.code})`)
  let empty = 0
  const drawn = [...dom.out.matchAll(/<section ([^>]*)>([\s\S]*?)<\/section>/g)].filter((m) => /\bclass="panel"/.test(m[1]))
  if (drawn.length !== panels.filter((p) => p.type !== 'row').length) throw new Error(`chromium drew ${drawn.length} panels, the dashboard has ${panels.filter((p) => p.type !== 'row').length}`)
  for (const m of drawn) {
    const title = /data-title="([^"]*)"/.exec(m[1])?.[1] ?? '?'
    const lines = (m[2].match(/<polyline|<circle/g) ?? []).length
    const ok = lines > 0 && !m[2].includes('No data')
    if (!ok) empty++
    log(`${ok ? 'data   ' : 'NO DATA'}  ${title} (${lines} line${lines === 1 ? '' : 's'})`)
  }
  mkdirSync(dirname(out), { recursive: true })
  const shot = await browser([`--screenshot=${out}`])
  if (shot.code !== 0) throw new Error(`chromium screenshot failed (exit ${shot.code})`)
  log(`wrote ${out}`)
  if (empty > 0) {
    log(`${empty} panel(s) without data`)
    process.exitCode = 1
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
