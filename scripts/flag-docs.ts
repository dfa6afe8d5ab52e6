// npm run docs:flags: rewrites the flag tables of docs/configuration.md (### per section) and
// README.md (#### per section) from src/config/flags.ts after a flag or its help changed.
import { readFileSync, writeFileSync } from 'node:fs'
import { withFlagTables } from '../src/config/flag-docs.js'

for (const [file, level] of [['docs/configuration.md', 3], ['README.md', 4]] as const) {
  const before = readFileSync(file, 'utf8')
  const after = withFlagTables(before, level)
  if (after !== before) writeFileSync(file, after)
  process.stdout.write(`${file}: ${after === before ? 'up to date' : 'rewritten'}\n`)
}
