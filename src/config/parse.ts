// Step 1 of 3: command line → FrontProxyInput, with pflag's grammar (what upstream users
// type must parse the same way here). Never throws; every problem is collected.

import { flagByName, flagByShorthand, type FlagDef } from './flags.js'
import type { FrontProxyInput } from './types.js'
import {
  parseBool, parseCSV, parseDurationSeconds, parseFloat, parseInt, parseKeyValue, parseMapStringBool, parseNamedCertKey,
  type Parsed,
} from './values.js'

export interface ParseResult {
  input: FrontProxyInput
  errors: string[]
  help: boolean
  version: boolean
  /** `--version=raw` asks for the machine-readable form. */
  versionRaw: boolean
}

/** cliflag.WordSepNormalizeFunc: `--mapping_file` is `--mapping-file`. */
export function normalizeFlagName(name: string): string {
  return name.replaceAll('_', '-')
}

function display(def: FlagDef): string {
  return def.shorthand ? `-${def.shorthand}, --${def.name}` : `--${def.name}`
}

/** Converts one textual value to what the flag's options field holds. */
function convert(def: FlagDef, raw: string): Parsed<unknown> {
  switch (def.type) {
    case 'string': return { ok: true, value: raw }
    case 'int': return parseInt(raw)
    case 'float': return parseFloat(raw)
    case 'bool': return parseBool(raw)
    case 'stringSlice': return parseCSV(raw)
    case 'stringArray': return { ok: true, value: [raw] }
    case 'mapStringString': return parseKeyValue(raw)
    case 'mapStringBool': return parseMapStringBool(raw)
    case 'namedCertKey': return parseNamedCertKey(raw)
    case 'duration': {
      const d = parseDurationSeconds(raw)
      return d.ok ? { ok: true, value: raw } : d
    }
    case 'durationSeconds': return parseDurationSeconds(raw)
  }
}

export function parseArgs(argv: readonly string[]): ParseResult {
  const groups: Record<string, Record<string, unknown>> = {}
  const errors: string[] = []
  const seen = new Set<string>()
  let help = false
  let version = false
  let versionRaw = false

  const set = (def: FlagDef, raw: string): void => {
    const conv = convert(def, raw)
    if (!conv.ok) {
      errors.push(`invalid argument ${JSON.stringify(raw)} for "${display(def)}" flag: ${conv.reason}`)
      return
    }
    if (def.name === 'help') { help = conv.value === true; return }
    if (def.name === 'version') {
      const b = parseBool(raw)
      if (raw === 'raw') { version = true; versionRaw = true } else if (b.ok) version = b.value
      else errors.push(`invalid argument ${JSON.stringify(raw)} for "--version" flag: use true, false or raw`)
      return
    }
    if (!def.target) return // no-effect flag without a field: the value was checked above
    const [group, field] = def.target
    const g = (groups[group] ??= {})
    // pflag: the first use of a repeatable flag replaces its default, later uses add to it.
    const first = !seen.has(def.name)
    seen.add(def.name)
    switch (def.type) {
      case 'stringSlice': case 'stringArray': case 'namedCertKey': {
        const add: unknown[] = Array.isArray(conv.value) && def.type !== 'namedCertKey' ? (conv.value as unknown[]) : [conv.value]
        g[field] = first ? [...add] : [...(g[field] as unknown[]), ...add]
        break
      }
      case 'mapStringString': {
        const [k, v] = conv.value as [string, string]
        const prev = (first ? {} : g[field]) as Record<string, string>
        g[field] = { ...prev, [k]: v }
        break
      }
      case 'mapStringBool': {
        const prev = (first ? {} : g[field]) as Record<string, boolean>
        g[field] = { ...prev, ...(conv.value as Record<string, boolean>) }
        break
      }
      default:
        g[field] = conv.value
    }
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      for (const rest of argv.slice(i + 1)) errors.push(`unexpected argument ${JSON.stringify(rest)}: kcp-front-proxy takes flags only`)
      break
    }
    let def: FlagDef | undefined
    let value: string | undefined
    if (arg.startsWith('--')) {
      const body = arg.slice(2)
      const eq = body.indexOf('=')
      const name = normalizeFlagName(eq === -1 ? body : body.slice(0, eq))
      if (eq !== -1) value = body.slice(eq + 1)
      if (name === '' || name.startsWith('-')) { errors.push(`bad flag syntax: ${arg}`); continue }
      def = flagByName(name)
      if (!def) { errors.push(`unknown flag: --${name}`); continue }
    } else if (arg.startsWith('-') && arg.length > 1) {
      const ch = arg[1]
      def = flagByShorthand(ch)
      if (!def) { errors.push(`unknown shorthand flag: '${ch}' in ${arg}`); continue }
      const rest = arg.slice(2)
      if (rest.startsWith('=')) value = rest.slice(1)
      else if (rest !== '') {
        if (def.type === 'bool') { errors.push(`unknown shorthand flag: '${rest[0]}' in ${arg}`); continue }
        value = rest // pflag: `-v4`
      }
    } else {
      errors.push(`unexpected argument ${JSON.stringify(arg)}: kcp-front-proxy takes flags only`)
      continue
    }
    if (value === undefined) {
      if (def.type === 'bool') value = 'true'
      else if (def.noOptValue !== undefined) value = def.noOptValue
      else if (i + 1 < argv.length) value = argv[++i]
      else { errors.push(`flag needs an argument: ${arg.startsWith('--') ? `--${def.name}` : `'${def.shorthand ?? ''}' in ${arg}`}`); continue }
    }
    set(def, value)
  }
  return { input: groups, errors, help, version, versionRaw }
}
