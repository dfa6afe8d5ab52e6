// --help in the shape of upstream's cobra/cliflag output: one block per named flag set,
// `--name type   help (default x)`, so operators recognise it.

import { flags, sections, type FlagDef, type Section } from './flags.js'

const typeNames: Record<FlagDef['type'], string> = {
  string: 'string', int: 'int', float: 'float', bool: '', stringSlice: 'strings', stringArray: 'stringArray',
  mapStringString: 'mapStringString', mapStringBool: 'mapStringBool', duration: 'duration', durationSeconds: 'duration',
  namedCertKey: 'namedCertKey',
}

function left(f: FlagDef): string {
  const names = f.shorthand ? `  -${f.shorthand}, --${f.name}` : `      --${f.name}`
  const type = f.valueName ?? typeNames[f.type]
  return type ? `${names} ${type}` : names
}

function defaultSuffix(f: FlagDef): string {
  if (f.defaultText === '' || f.defaultText === '[]' || (f.type === 'bool' && f.defaultText === 'false') || f.defaultText === '0') return ''
  return f.type === 'string' && !f.valueName ? ` (default ${JSON.stringify(f.defaultText)})` : ` (default ${f.defaultText})`
}

function heading(s: Section): string {
  if (s === 'front-proxy extensions') return 'Front-proxy extensions (not in upstream kcp-front-proxy) flags:'
  return `${s[0]?.toUpperCase() ?? ''}${s.slice(1)} flags:`
}

export function formatHelp(program = 'kcp-front-proxy'): string {
  const width = Math.max(...flags.map((f) => left(f).length)) + 3
  let out = `${program} routes /clusters/<workspace> requests to the kcp shard that hosts the workspace.\n\n`
  out += `Usage:\n  ${program} [flags]\n\nWith no flags at all it starts a demo: an emulated kcp with three shards behind the proxy.\n`
  for (const s of sections) {
    out += `\n${heading(s)}\n\n`
    for (const f of flags.filter((d) => d.section === s)) {
      const l = left(f)
      const tag = f.support === 'unsupported' ? ' [not supported by this front-proxy]' : f.support === 'no-effect' ? ' [accepted, no effect]' : ''
      out += `${l}${' '.repeat(width - l.length)}${f.help}${defaultSuffix(f)}${tag}\n`
    }
  }
  return out
}
