// --cors-allowed-origins takes Go (RE2) regular expressions, matched unanchored
// (Go MatchString). The common RE2 spellings JS lacks are translated; anything JS
// cannot compile is a validation error naming the flag and the pattern.

export type Compiled = { ok: true; re: RegExp } | { ok: false; reason: string }

export function compileGoRegexp(pattern: string): Compiled {
  let src = pattern
  let flags = ''
  // RE2 whole-pattern flags `(?i)`, `(?s)`, `(?is)`… → JS flags (Node 20 has no inline modifiers).
  const lead = /^\(\?([imsU]+)\)/.exec(src)
  if (lead) {
    if ((lead[1]).includes('U')) return { ok: false, reason: 'the (?U) flag has no JavaScript equivalent' }
    flags = [...new Set(lead[1])].join('')
    src = src.slice(lead[0].length)
  }
  src = src
    .replaceAll('(?P<', '(?<') // named groups
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])')
  try {
    return { ok: true, re: new RegExp(src, flags) }
  } catch (err) {
    return { ok: false, reason: (err as Error).message }
  }
}
