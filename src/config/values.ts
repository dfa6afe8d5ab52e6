// Value parsers for the flag types upstream registers through pflag / k8s cliflag.
// Each returns either a value or a reason (without the flag name; the caller adds it),
// so the parser can keep going and report every bad flag at once.

import { isIP } from 'node:net'

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string }

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value })
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason })

/** Go strconv.ParseBool: the exact accepted spellings, nothing else. */
export function parseBool(s: string): Parsed<boolean> {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(s)) return ok(true)
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(s)) return ok(false)
  return bad(`strconv.ParseBool: parsing "${s}": invalid syntax`)
}

/** Go strconv.ParseInt(s, 0, 64) subset: decimal with optional sign, 0x hex. */
export function parseInt(s: string): Parsed<number> {
  if (!/^[+-]?(\d+|0[xX][0-9a-fA-F]+)$/.test(s)) return bad(`strconv.ParseInt: parsing "${s}": invalid syntax`)
  const n = Number(s.replace(/^\+/, ''))
  if (!Number.isSafeInteger(n)) return bad(`strconv.ParseInt: parsing "${s}": value out of range`)
  return ok(n)
}

export function parseFloat(s: string): Parsed<number> {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return bad(`strconv.ParseFloat: parsing "${s}": invalid syntax`)
  return ok(Number(s))
}

const unitSeconds: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }

/** Go time.ParseDuration ("300ms", "1m30s", "-1.5h", "0") → seconds. */
export function parseDurationSeconds(s: string): Parsed<number> {
  const fail = bad<number>(`time: invalid duration "${s}"`)
  let rest = s
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1
    rest = rest.slice(1)
  }
  if (rest === '0') return ok(0)
  if (rest === '') return fail
  let total = 0
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/
  while (rest !== '') {
    const m = part.exec(rest)
    if (!m) return rest.match(/^(\d+\.?\d*|\.\d+)$/) ? bad(`time: missing unit in duration "${s}"`) : fail
    total += Number(m[1]) * (unitSeconds[m[2]])
    rest = rest.slice(m[0].length)
  }
  return ok(sign * total)
}

/**
 * pflag reads string slices as one CSV record (encoding/csv): commas split, double
 * quotes protect commas. An empty value is an empty list (that is how
 * `--authentication-drop-groups=` clears the defaults upstream).
 */
export function parseCSV(s: string): Parsed<string[]> {
  if (s === '') return ok([])
  const out: string[] = []
  let i = 0
  while (i <= s.length) {
    if (s[i] === '"') {
      let field = ''
      i++
      for (;;) {
        if (i >= s.length) return bad(`parse error: extraneous or missing " in quoted-field in ${JSON.stringify(s)}`)
        if (s[i] === '"') {
          if (s[i + 1] === '"') { field += '"'; i += 2; continue }
          i++
          break
        }
        field += s[i]
        i++
      }
      if (i < s.length && s[i] !== ',') return bad(`parse error: extraneous or missing " in quoted-field in ${JSON.stringify(s)}`)
      out.push(field)
      i++
    } else {
      const end = s.indexOf(',', i)
      const field = end === -1 ? s.slice(i) : s.slice(i, end)
      if (field.includes('"')) return bad(`parse error: bare " in non-quoted-field in ${JSON.stringify(s)}`)
      out.push(field)
      if (end === -1) break
      i = end + 1
      if (i === s.length) { out.push(''); break }
    }
  }
  return ok(out)
}

/** One `key=value` (cliflag MapStringStringNoSplit: the value may contain commas). */
export function parseKeyValue(s: string): Parsed<[string, string]> {
  const eq = s.indexOf('=')
  if (eq <= 0) return bad(`malformed pair, expect string=string`)
  return ok([s.slice(0, eq).trim(), s.slice(eq + 1).trim()])
}

/** cliflag MapStringBool (`--feature-gates=A=true,B=false`). */
export function parseMapStringBool(s: string): Parsed<Record<string, boolean>> {
  const out: Record<string, boolean> = {}
  for (const pair of s.split(',')) {
    if (pair.trim() === '') continue
    const kv = parseKeyValue(pair)
    if (!kv.ok) return bad(`missing bool value for ${pair.trim()}`)
    const b = parseBool(kv.value[1])
    if (!b.ok) return bad(`invalid value of ${kv.value[0]}=${kv.value[1]}, err: ${b.reason}`)
    out[kv.value[0]] = b.value
  }
  return ok(out)
}

export interface NamedCertKey { certFile: string; keyFile: string; domains: string[] }

/** cliflag NamedCertKey: `cert,key` or `cert,key:domain1,domain2`. */
export function parseNamedCertKey(s: string): Parsed<NamedCertKey> {
  // Upstream splits on the first ':' (cert and key paths cannot contain one).
  const colon = s.indexOf(':')
  const files = colon === -1 ? s : s.slice(0, colon)
  const domains = colon === -1 ? [] : s.slice(colon + 1).split(',').map((d) => d.trim()).filter((d) => d !== '')
  const parts = files.split(',').map((p) => p.trim())
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return bad('expected comma separated certificate and key file paths')
  return ok({ certFile: parts[0], keyFile: parts[1], domains })
}

/**
 * Go net.SplitHostPort for a listen address, with the host an IP, `localhost` or empty (all
 * interfaces, 0.0.0.0) and a decimal port 0..65535. `[::1]:9090` → { host: '::1', port: 9090 }.
 */
export function parseHostPort(s: string): Parsed<{ host: string; port: number }> {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s)
  const host = m?.[1] ?? m?.[2] ?? ''
  if (!m || (host !== '' && host !== 'localhost' && isIP(host) === 0) || Number(m[3]) > 65535) {
    return bad('must be host:port with an IP (or empty) host and a port 0..65535')
  }
  return ok({ host: host === '' ? '0.0.0.0' : host, port: Number(m[3]) })
}
