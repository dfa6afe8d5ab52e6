import t from 'tap'
import { formatHelp } from '../../src/config/help.js'
import { readFileSync } from 'node:fs'
import { completeOptions, validateOptions } from '../../src/config/index.js'
import { formatFlagTables, withFlagTables } from '../../src/config/flag-docs.js'
import { flags, sections } from '../../src/config/flags.js'

t.test('help lists every flag once, by section, in upstream section order', async (t) => {
  const help = formatHelp()
  for (const f of flags) t.equal(help.match(new RegExp(`^ +(-\\w, )?--${f.name}\\b`, 'gm'))?.length, 1, f.name)
  const headings = ['Secure-serving flags:', 'Authentication flags:', 'Proxy flags:', 'Logging flags:', 'Kcp flags:', 'Global flags:', 'Front-proxy extensions (not in upstream kcp-front-proxy) flags:']
  t.equal(sections.length, headings.length)
  let last = -1
  for (const h of headings) {
    const at = help.indexOf(`\n${h}\n`)
    t.ok(at > last, `${h} present and after the previous section`)
    last = at
  }
})

t.test('help shows type and default like cobra', async (t) => {
  const help = formatHelp()
  t.match(help, /^ {6}--secure-port int +Port .*\(default 443\)$/m)
  t.match(help, /^ {6}--root-directory string +.*\(default "\.kcp"\)$/m)
  t.match(help, /^ {2}-v, --v Level +.*\(default 2\)$/m)
  t.match(help, /^ {6}--bind-address ip +.*\(default 0\.0\.0\.0\)$/m)
  t.match(help, /^ {6}--oidc-signing-algs strings +.*\(default \[RS256\]\)$/m)
  t.match(help, /^ {6}--disable-http2-serving +Serve/m)
  t.match(help, /--profiler-address string .*\[not supported by this front-proxy\]$/m)
  t.match(help, /--log-flush-frequency duration +Maximum time between log flushes/m)
  t.notMatch(help, /--mapping-file string .*\(default/)
})

t.test('flag table invariants: unique names, extensions only in their section, unsupported flags explained', async (t) => {
  const names = flags.map((f) => f.name)
  t.equal(new Set(names).size, names.length, 'names unique')
  for (const f of flags) {
    t.equal(f.support === 'extension', f.section === 'front-proxy extensions', `${f.name}: extension ⇔ extensions section`)
    if (f.support === 'unsupported') t.match(f.note, /^Not supported by this front-proxy/, `${f.name} has a reason`)
    if (f.support === 'no-effect') t.ok(f.note, `${f.name} says why it has no effect`)
  }
})

t.test('docs/configuration.md and the README carry the flag tables made from the flag table (npm run docs:flags)', async (t) => {
  for (const [file, level] of [['docs/configuration.md', 3], ['README.md', 4]] as const) {
    const doc = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')
    t.equal(withFlagTables(doc, level), doc, `${file} is up to date; run npm run docs:flags`)
    for (const f of flags) t.ok(doc.includes(`\`--${f.name}\``), `${file} names --${f.name}`)
  }
  const rows = formatFlagTables(3).split('\n')
  for (const f of flags) {
    const row = rows.find((l) => l.startsWith('| ') && l.includes(`\`--${f.name}\``))
    const want = { same: '| same |', extension: '| extension |', 'no-effect': 'no effect', unsupported: 'not supported' }[f.support]
    t.ok(row?.includes(want), `--${f.name} row says ${want}`)
  }
})

t.test('withFlagTables replaces exactly the tables, up to the next higher heading', async (t) => {
  const doc = '# Title\n\nintro\n\n### secure-serving\n\nOLD TABLE\n\n### proxy\n\nOLD TABLE\n\n## After\n\ntext\n'
  const out = withFlagTables(doc, 3)
  t.ok(out.startsWith('# Title\n\nintro\n\n### secure-serving\n\n| Flag |'))
  t.ok(out.endsWith('|\n\n## After\n\ntext\n'))
  t.notMatch(out, /OLD TABLE/)
  t.equal(withFlagTables(out, 3), out, 'idempotent')
  t.throws(() => withFlagTables('# nothing here\n', 3), /no "### secure-serving" heading/)
})

t.test('--help marks every flag validation requires, and --root-directory does not default to --cert-dir', async (t) => {
  const required = validateOptions(completeOptions({}, 'cli'))
    .map((e) => /^(--[\w-]+) is required/.exec(e)?.[1])
    .filter((n): n is string => n !== undefined)
  t.same(required.sort(), ['--mapping-file', '--root-kubeconfig', '--shards-kubeconfig'])
  const help = formatHelp()
  for (const name of required) t.match(help, new RegExp(`^ +${name} string +.*\\(required\\)`, 'm'), `${name} says (required)`)
  const line = (name: string): string => help.split('\n').find((l) => l.startsWith(`      --${name} `)) ?? ''
  t.notMatch(line('root-directory'), /default --cert-dir/, '--root-directory is not defined by --cert-dir (which is defined by it)')
  t.match(line('root-directory'), /working directory/)
  t.match(line('cert-dir'), /Empty = --root-directory/)
})
