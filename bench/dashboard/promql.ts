// The part of PromQL the shipped Grafana dashboard uses, evaluated over /metrics scrapes kept
// in memory: selectors with =, !=, =~, !~ matchers, rate(x[w]), sum/max [by (…)], 
// histogram_quantile(q, …) and a / b. No Prometheus or Grafana can be installed here, so
// bench/dashboard/render.ts uses this to draw the dashboard's panels; anything outside the
// subset is a parse error naming the expression, so a changed dashboard cannot be drawn wrong
// silently.

export type Labels = Record<string, string>
export interface Sample { labels: Labels; value: number }

/** Every scrape of every target: metric name → series (by label set) → [time in ms, value] points. */
export class Store {
  readonly #series = new Map<string, Map<string, { labels: Labels; points: [number, number][] }>>()

  /** Adds one scrape in the Prometheus text format, with the target's own labels (namespace, pod). */
  addScrape(text: string, at: number, targetLabels: Labels): void {
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line)
      if (m === null) throw new Error(`not a metric line: ${line}`)
      const labels: Labels = { ...targetLabels }
      for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      let byName = this.#series.get(m[1])
      if (byName === undefined) this.#series.set(m[1], (byName = new Map()))
      const key = JSON.stringify(Object.entries(labels).sort())
      let s = byName.get(key)
      if (s === undefined) byName.set(key, (s = { labels, points: [] }))
      s.points.push([at, Number(m[3])])
    }
  }

  series(name: string): { labels: Labels; points: [number, number][] }[] {
    return [...(this.#series.get(name)?.values() ?? [])]
  }
}

type Matcher = { label: string; op: '=' | '!=' | '=~' | '!~'; value: string }
type Node =
  | { kind: 'selector'; name: string; matchers: Matcher[]; rangeMs?: number }
  | { kind: 'rate'; arg: Node }
  | { kind: 'aggregate'; op: 'sum' | 'max'; by: string[] | undefined; arg: Node }
  | { kind: 'quantile'; q: number; arg: Node }
  | { kind: 'div'; left: Node; right: Node }

export function parseDuration(s: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(s)
  if (m === null) throw new Error(`not a duration: ${s}`)
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']
}

/** Parses `expr` after replacing Grafana variables (`vars`: name → text, e.g. `$__rate_interval` → `10s`). */
export function parse(expr: string, vars: Record<string, string>): Node {
  const src = expr.replace(/\$(\w+)/g, (whole, v: string) => vars[v] ?? whole)
  const tokens = [...src.matchAll(/\s*("(?:[^"\\]|\\.)*"|=~|!~|!=|[(){}[\],=/]|[\w:.]+)/gy)].map((m) => m[1])
  if (tokens.join('').length !== src.replace(/\s+/g, '').length) throw new Error(`cannot tokenize: ${expr}`)
  let i = 0
  const peek = (): string | undefined => tokens[i]
  const take = (want?: string): string => {
    const tok = tokens[i++]
    if (tok === undefined || (want !== undefined && tok !== want)) throw new Error(`expected ${want ?? 'more'} at token ${i} of: ${expr}`)
    return tok
  }
  const labelList = (): string[] => {
    take('(')
    const out: string[] = []
    while (peek() !== ')') {
      out.push(take())
      if (peek() === ',') take(',')
    }
    take(')')
    return out
  }
  const primary = (): Node => {
    const tok = take()
    if (tok === 'rate') {
      take('(')
      const arg = primary()
      take(')')
      if (arg.kind !== 'selector' || arg.rangeMs === undefined) throw new Error(`rate() needs a range selector: ${expr}`)
      return { kind: 'rate', arg }
    }
    if (tok === 'sum' || tok === 'max') {
      const by = peek() === 'by' ? (take(), labelList()) : undefined
      take('(')
      const arg = expression()
      take(')')
      return { kind: 'aggregate', op: tok, by, arg }
    }
    if (tok === 'histogram_quantile') {
      take('(')
      const q = Number(take())
      take(',')
      const arg = expression()
      take(')')
      return { kind: 'quantile', q, arg }
    }
    if (!/^[a-zA-Z_:][\w:]*$/.test(tok)) throw new Error(`unexpected ${tok} in: ${expr}`)
    const matchers: Matcher[] = []
    if (peek() === '{') {
      take('{')
      while (peek() !== '}') {
        const label = take()
        const op = take() as Matcher['op']
        if (!['=', '!=', '=~', '!~'].includes(op)) throw new Error(`unknown matcher ${op} in: ${expr}`)
        matchers.push({ label, op, value: (JSON.parse(take()) as string) })
        if (peek() === ',') take(',')
      }
      take('}')
    }
    let rangeMs: number | undefined
    if (peek() === '[') {
      take('[')
      rangeMs = parseDuration(take())
      take(']')
    }
    return { kind: 'selector', name: tok, matchers, ...(rangeMs !== undefined ? { rangeMs } : {}) }
  }
  const expression = (): Node => {
    const left = primary()
    if (peek() === '/') {
      take('/')
      return { kind: 'div', left, right: primary() }
    }
    return left
  }
  const node = expression()
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]} in: ${expr}`)
  return node
}

const matches = (labels: Labels, ms: Matcher[]): boolean => ms.every((m) => {
  const v = labels[m.label] ?? ''
  if (m.op === '=') return v === m.value
  if (m.op === '!=') return v !== m.value
  const re = new RegExp(`^(?:${m.value})$`) // PromQL regexps are fully anchored
  return m.op === '=~' ? re.test(v) : !re.test(v)
})

const withoutName = (l: Labels): Labels => Object.fromEntries(Object.entries(l).filter(([k]) => k !== '__name__'))
const keyOf = (l: Labels): string => JSON.stringify(Object.entries(l).sort())

/** Prometheus' default lookback: an instant selector sees the newest point at most 5 min old. */
const LOOKBACK_MS = 300_000

/** The instant vector `node` has at time `at`. */
export function evaluate(node: Node, store: Store, at: number): Sample[] {
  switch (node.kind) {
    case 'selector': {
      if (node.rangeMs !== undefined) throw new Error('a range selector outside rate()')
      const out: Sample[] = []
      for (const s of store.series(node.name)) {
        if (!matches(s.labels, node.matchers)) continue
        const p = s.points.filter(([t]) => t <= at && t > at - LOOKBACK_MS).at(-1)
        if (p !== undefined) out.push({ labels: s.labels, value: p[1] })
      }
      return out
    }
    case 'rate': {
      const sel = node.arg as Extract<Node, { kind: 'selector' }>
      const from = at - (sel.rangeMs ?? 0)
      const out: Sample[] = []
      for (const s of store.series(sel.name)) {
        if (!matches(s.labels, sel.matchers)) continue
        const pts = s.points.filter(([t]) => t > from && t <= at)
        if (pts.length < 2) continue
        let increase = 0
        // A counter that went down was reset (a restarted process): count from zero, as Prometheus does.
        for (let k = 1; k < pts.length; k++) increase += pts[k][1] >= pts[k - 1][1] ? pts[k][1] - pts[k - 1][1] : pts[k][1]
        out.push({ labels: withoutName(s.labels), value: increase / ((pts[pts.length - 1][0] - pts[0][0]) / 1000) })
      }
      return out
    }
    case 'aggregate': {
      const groups = new Map<string, Sample>()
      for (const s of evaluate(node.arg, store, at)) {
        const labels = node.by === undefined ? {} : Object.fromEntries(node.by.filter((l) => s.labels[l] !== undefined).map((l) => [l, s.labels[l]]))
        const k = keyOf(labels)
        const g = groups.get(k)
        if (g === undefined) groups.set(k, { labels, value: s.value })
        else g.value = node.op === 'sum' ? g.value + s.value : Math.max(g.value, s.value)
      }
      return [...groups.values()]
    }
    case 'quantile': {
      const byGroup = new Map<string, { labels: Labels; buckets: [number, number][] }>()
      for (const s of evaluate(node.arg, store, at)) {
        const { le, ...rest } = s.labels
        if (le === undefined) continue
        const k = keyOf(rest)
        let g = byGroup.get(k)
        if (g === undefined) byGroup.set(k, (g = { labels: rest, buckets: [] }))
        g.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value])
      }
      const out: Sample[] = []
      for (const g of byGroup.values()) {
        const v = bucketQuantile(node.q, g.buckets.sort((a, b) => a[0] - b[0]))
        if (!Number.isNaN(v)) out.push({ labels: g.labels, value: v })
      }
      return out
    }
    case 'div': {
      const right = new Map(evaluate(node.right, store, at).map((s) => [keyOf(s.labels), s.value]))
      const out: Sample[] = []
      for (const s of evaluate(node.left, store, at)) {
        const r = right.get(keyOf(s.labels))
        if (r !== undefined && r !== 0) out.push({ labels: s.labels, value: s.value / r })
      }
      return out
    }
  }
}

/** Prometheus' histogram_quantile over cumulative (upper bound, count) buckets sorted by bound. */
export function bucketQuantile(q: number, buckets: [number, number][]): number {
  const total = buckets.at(-1)?.[1] ?? 0
  if (buckets.length < 2 || buckets.at(-1)?.[0] !== Infinity || total === 0) return NaN
  const rank = q * total
  let b = buckets.findIndex(([, c]) => c >= rank)
  if (b < 0) b = buckets.length - 1
  if (buckets[b][0] === Infinity) return buckets[buckets.length - 2][0]
  const [upper, count] = buckets[b]
  const [lower, below] = b === 0 ? [0, 0] : buckets[b - 1]
  return lower + (upper - lower) * ((rank - below) / (count - below || 1))
}
