import t from 'tap'
import { formatHelp } from '../../src/config/help.js'
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

t.test('docs/configuration.md documents every flag with its upstream compatibility', async (t) => {
  const { readFileSync } = await import('node:fs')
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
  for (const f of flags) {
    const row = doc.split('\n').find((l) => l.startsWith('| ') && l.includes(`\`--${f.name}\``) && l.split('|').length >= 7)
    t.ok(row, `--${f.name} has a table row`)
    const want = { same: '| same |', extension: '| extension |', 'no-effect': 'no effect', unsupported: 'not supported' }[f.support]
    t.ok(row?.includes(want), `--${f.name} row says ${want}`)
  }
})
