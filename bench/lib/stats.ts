// Small statistics and formatting helpers for benchmark reports, and the report writer.
import { writeFileSync } from 'node:fs'

/** The samples in ascending order, without the missing ones: NaN marks a window without a result. */
function sortedSamples(xs: readonly number[]): number[] {
  return xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
}

/** Median of the samples (missing ones left out). */
export function median(xs: readonly number[]): number {
  const s = sortedSamples(xs)
  if (s.length === 0) return NaN
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples (missing ones left out). */
export function percentile(xs: readonly number[], p: number): number {
  const s = sortedSamples(xs)
  if (s.length === 0) return NaN
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)))
  return s[rank - 1]
}

export function ratio(a: number, b: number): number {
  return b === 0 || !Number.isFinite(b) ? NaN : a / b
}

/** combine(a[i], b[i]) for every run both have, keeping the finite results. */
function perRun(a: readonly number[], b: readonly number[], combine: (x: number, y: number) => number): number[] {
  const n = Math.min(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const v = combine(a[i], b[i])
    if (Number.isFinite(v)) out.push(v)
  }
  return out
}

/**
 * The per-run ratios a[i] / b[i]: a paired comparison. Each run measures every target back to
 * back, so machine drift between runs (±30 % on the benchmark VM) cancels within a pair instead of
 * landing in one target's median and not the other's. Report their median (and spread).
 */
export function perRunRatios(a: readonly number[], b: readonly number[]): number[] {
  return perRun(a, b, ratio)
}

/** Median of the per-run differences a[i] − b[i] (paired, like perRunRatios). */
export function pairedDifference(a: readonly number[], b: readonly number[]): number {
  return median(perRun(a, b, (x, y) => x - y))
}

/**
 * Per-run ratios as a table cell with their spread, `0.92 (0.85–1.01)`: median (25th–75th
 * percentile). Drift inside a run does not cancel, so a reader needs the spread to tell a real
 * difference of a few per cent from noise.
 */
export function fmtRatioSpread(rs: readonly number[]): string {
  if (rs.length === 0) return '—'
  if (rs.length === 1) return fmt(rs[0], 2)
  return `${fmt(median(rs), 2)} (${fmt(percentile(rs, 25), 2)}–${fmt(percentile(rs, 75), 2)})`
}

/** Formats a number for a table: '—' for missing, thousands separators, fixed decimals. */
export function fmt(x: number | undefined, decimals = 0): string {
  if (x === undefined || !Number.isFinite(x)) return '—'
  return x.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
}

/** A GitHub-flavoured markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/** Parses `--name value` / `--name=value` / `--flag` arguments into a map. */
export function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) continue
    const eq = a.indexOf('=')
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1))
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out.set(a.slice(2), argv[++i])
    else out.set(a.slice(2), 'true')
  }
  return out
}

export function numberArg(args: Map<string, string>, name: string, dflt: number): number {
  const v = args.get(name)
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected a non-negative number, got ${JSON.stringify(v)}`)
  return n
}

/** Prints the markdown report and, with `--json <file>`, writes the raw per-run samples there. */
export function emitReport(report: string, args: Map<string, string>, raw: { loads: Map<string, unknown[]>; probes: Map<string, unknown[]> }): void {
  process.stdout.write(report + '\n')
  const json = args.get('json')
  if (json) writeFileSync(json, JSON.stringify({ loads: Object.fromEntries(raw.loads), probes: Object.fromEntries(raw.probes) }, null, 2))
}
