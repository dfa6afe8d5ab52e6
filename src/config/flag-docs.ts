// The "Every flag" tables of docs/configuration.md and the README, made from the same table
// as --help (flags.ts), so the documents cannot drift from the flags: test/config/help.test.ts
// fails when a document differs from what withFlagTables() makes of it, and
// `npm run docs:flags` (scripts/flag-docs.ts) rewrites both.

import { flags, sections, type FlagDef } from './flags.js'

const typeNames: Record<FlagDef['type'], string> = {
  string: 'string', int: 'int', float: 'float', bool: 'bool', stringSlice: 'strings (comma-separated, repeatable)',
  stringArray: 'string (repeatable)', mapStringString: 'key=value (repeatable)', mapStringBool: 'key=bool,… (repeatable)',
  duration: 'duration', durationSeconds: 'duration', namedCertKey: 'cert,key[:domains] (repeatable)',
}

const supportText: Record<FlagDef['support'], string> = {
  same: 'same', extension: 'extension', 'no-effect': 'accepted, no effect (as upstream)', unsupported: '**not supported** (error)',
}

/** One markdown table per section, each under a heading of the given level. */
export function formatFlagTables(headingLevel: number): string {
  const cell = (s: string): string => s.replaceAll('|', '\\|')
  let out = ''
  for (const s of sections) {
    out += `${'#'.repeat(headingLevel)} ${s}\n\n| Flag | Type | Default | Upstream | Field | Meaning |\n|---|---|---|---|---|---|\n`
    for (const f of flags.filter((d) => d.section === s)) {
      const name = f.shorthand ? `\`-${f.shorthand}\`, \`--${f.name}\`` : `\`--${f.name}\``
      const field = f.target ? `\`${f.target.join('.')}\`` : '—'
      const meaning = cell(f.help) + (f.note ? ` *${cell(f.note)}*` : '')
      out += `| ${name} | ${typeNames[f.type]} | \`${f.defaultText === '' ? '""' : f.defaultText}\` | ${supportText[f.support]} | ${field} | ${meaning} |\n`
    }
    out += '\n'
  }
  return out
}

/**
 * `markdown` with its flag tables replaced: from the first section's heading at
 * `headingLevel` to the next heading of a higher level (or the end).
 */
export function withFlagTables(markdown: string, headingLevel: number): string {
  const start = markdown.indexOf(`\n${'#'.repeat(headingLevel)} ${sections[0]}\n`)
  if (start < 0) throw new Error(`no "${'#'.repeat(headingLevel)} ${sections[0]}" heading to put the flag tables under`)
  const next = new RegExp(`\\n#{1,${headingLevel - 1}} `, 'g')
  next.lastIndex = start + 1
  const end = next.exec(markdown)?.index ?? markdown.length
  return `${markdown.slice(0, start + 1)}${formatFlagTables(headingLevel)}${markdown.slice(end + 1)}`
}
