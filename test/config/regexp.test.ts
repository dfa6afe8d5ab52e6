import t from 'tap'
import { compileGoRegexp } from '../../src/config/regexp.js'

t.test('Go CORS origin patterns compile to equivalent, unanchored JS regexps', async (t) => {
  const cases: [string, string, boolean][] = [
    ['localhost', 'https://localhost:8080', true],
    ['^https://.*\\.example\\.com$', 'https://a.example.com', true],
    ['^https://.*\\.example\\.com$', 'https://a.example.com.evil.io', false],
    ['(?i)^https://EXAMPLE\\.com$', 'https://example.com', true],
    ['(?P<host>example)\\.com', 'http://example.com', true],
    ['\\Ahttps://a\\z', 'https://a', true],
    ['\\Ahttps://a\\z', 'https://ab', false],
  ]
  for (const [pattern, origin, want] of cases) {
    const c = compileGoRegexp(pattern)
    t.ok(c.ok, pattern)
    if (c.ok) t.equal(c.re.test(origin), want, `${pattern} vs ${origin}`)
  }
})

t.test('patterns JS cannot honour are errors, not silent mismatches', async (t) => {
  t.match(compileGoRegexp('(unclosed'), { ok: false })
  t.match(compileGoRegexp('(?U)a+'), { ok: false, reason: /\(\?U\)/ })
})
