import t from 'tap'
import { applyIdentityHeaders, goPathEscape, headerValue, InvalidIdentityError, isSendableIdentity, type HeaderObject } from '../../src/auth/headers.js'
import { defaultIdentityHeaderNames, type UserInfo } from '../../src/auth/types.js'

t.test('goPathEscape matches Go url.PathEscape byte for byte', async (t) => {
  // Expected values are Go 1.23 url.PathEscape outputs.
  const cases: [string, string][] = [
    ['', ''],
    ['scopes', 'scopes'],
    ['authentication.kcp.io/cluster-name', 'authentication.kcp.io%2Fcluster-name'],
    ['authentication.kubernetes.io/credential-id', 'authentication.kubernetes.io%2Fcredential-id'],
    ['a b', 'a%20b'],
    ['a?b;c,d', 'a%3Fb%3Bc%2Cd'],
    ['100%', '100%25'],
    ['%2F', '%252F'],
    [':@$&+=', ':@$&+='],
    ['-_.~', '-_.~'],
    ["!'()*", '%21%27%28%29%2A'],
    ['#[]', '%23%5B%5D'],
    ['"<>\\^`{|}', '%22%3C%3E%5C%5E%60%7B%7C%7D'],
    ['\t\x7f', '%09%7F'],
    ['ü', '%C3%BC'],
    ['日本', '%E6%97%A5%E6%9C%AC'],
    ['ABCxyz019', 'ABCxyz019'],
  ]
  for (const [input, want] of cases) t.equal(goPathEscape(input), want, JSON.stringify(input))
})

const names = defaultIdentityHeaderNames
const alice: UserInfo = {
  name: 'alice',
  uid: 'uid-1',
  groups: ['system:authenticated', 'team-a'],
  extra: { 'authentication.kcp.io/cluster-name': ['root'], scopes: ['cluster:abc', 'cluster:def'] },
}

t.test('forged X-Remote-* headers in any case are stripped and replaced by the real user (authheaders_test)', async (t) => {
  const h: HeaderObject = {
    'x-remote-user': 'admin',
    'X-REMOTE-GROUP': ['system:masters'],
    'X-Remote-Extra-Scopes': 'cluster:*',
    'x-remote-extra-authentication.kcp.io%2fcluster-name': 'other',
    'X-rEmOtE-eXtRa-foo': 'bar',
    accept: 'application/json',
    authorization: 'Bearer keep-me',
  }
  applyIdentityHeaders(h, names, alice)
  t.same(h, {
    accept: 'application/json',
    authorization: 'Bearer keep-me',
    'X-Remote-User': 'alice',
    'X-Remote-Group': ['system:authenticated', 'team-a'],
    'X-Remote-Extra-authentication.kcp.io%2Fcluster-name': ['root'],
    'X-Remote-Extra-scopes': ['cluster:abc', 'cluster:def'],
  })
})

t.test('without a user every identity header is removed and nothing is added', async (t) => {
  const h: HeaderObject = { 'X-Remote-User': 'admin', 'x-remote-group': 'system:masters', 'x-remote-extra-a': 'b', host: 'h' }
  applyIdentityHeaders(h, names, undefined)
  t.same(h, { host: 'h' })
})

t.test('custom header names are used, and the default names are stripped too', async (t) => {
  const custom = { user: 'X-Forwarded-User', group: 'X-Forwarded-Groups', extraPrefix: 'X-Forwarded-Extra-' }
  const h: HeaderObject = {
    'x-forwarded-user': 'mallory',
    'x-forwarded-groups': 'system:masters',
    'X-FORWARDED-EXTRA-k': 'v',
    'x-remote-user': 'admin',
    'x-remote-group': 'system:masters',
    'x-remote-extra-k': 'v',
    other: 'x',
  }
  applyIdentityHeaders(h, custom, { name: 'bob', groups: ['g'], extra: { 'a/b': ['c'] } })
  t.same(h, { other: 'x', 'X-Forwarded-User': 'bob', 'X-Forwarded-Groups': ['g'], 'X-Forwarded-Extra-a%2Fb': ['c'] })
})

t.test('the prefix match is on the lowercased name, so other headers sharing letters survive', async (t) => {
  const h: HeaderObject = { 'x-remote-extr': 'keep', 'x-remote-users': 'keep', 'x-remote-extra-': 'drop' }
  applyIdentityHeaders(h, names, undefined)
  t.same(h, { 'x-remote-extr': 'keep', 'x-remote-users': 'keep' })
})

t.test('an empty custom extra prefix strips only the defaults instead of every header', async (t) => {
  const h: HeaderObject = { accept: 'a', 'x-remote-extra-x': 'y' }
  applyIdentityHeaders(h, { user: 'U', group: 'G', extraPrefix: '' }, { name: 'n', groups: [], extra: { k: ['v'] } })
  t.same(h, { accept: 'a', U: 'n', 'X-Remote-Extra-k': ['v'] })
})

t.test('no groups and empty extra values produce no headers; UID is never forwarded', async (t) => {
  const h: HeaderObject = {}
  applyIdentityHeaders(h, names, { name: 'n', uid: 'secret-uid', groups: [], extra: { empty: [] } })
  t.same(h, { 'X-Remote-User': 'n' })
})

t.test('non-ASCII identities are sent as UTF-8 bytes, like Go', async (t) => {
  const h: HeaderObject = {}
  applyIdentityHeaders(h, names, { name: 'jürgen@example.com', groups: ['grüppe'], extra: {} })
  t.equal(Buffer.from(h['X-Remote-User'] as string, 'latin1').toString('utf8'), 'jürgen@example.com')
  t.equal(Buffer.from((h['X-Remote-Group'] as string[])[0], 'latin1').toString('utf8'), 'grüppe')
})

t.test('header splitting: an identity with CR/LF/NUL is refused and leaves only stripped headers', async (t) => {
  for (const bad of ['a\r\nX-Remote-Group: system:masters', 'a\nb', 'a\0b']) {
    const h: HeaderObject = { 'x-remote-user': 'forged' }
    t.throws(() => applyIdentityHeaders(h, names, { name: 'ok', groups: [bad], extra: {} }), InvalidIdentityError)
    t.same(h, {}, 'nothing half-written')
    t.equal(isSendableIdentity({ name: bad, groups: [], extra: {} }), false)
    t.equal(isSendableIdentity({ name: 'x', groups: [], extra: { k: [bad] } }), false)
  }
  t.equal(isSendableIdentity(alice), true)
  t.equal(headerValue('plain', 'x'), 'plain')
})

t.test('whitespace smuggling: a value a header would trim is refused, so no trimmed twin reaches the shard', async (t) => {
  const cases: [string, string, boolean][] = [
    ['trailing space', 'system:masters ', false],
    ['leading space', ' system:masters', false],
    ['trailing tab', 'system:masters\t', false],
    ['leading tab', '\tadmin', false],
    ['inner space is carried as is', 'team a', true],
    ['inner tab is carried as is', 'team\ta', true],
    ['empty', '', true],
    ['plain', 'system:authenticated', true],
  ]
  for (const [name, v, ok] of cases) {
    t.equal(isSendableIdentity({ name: 'u', groups: [v], extra: {} }), ok, `group: ${name}`)
    t.equal(isSendableIdentity({ name: v === '' ? 'u' : v, groups: [], extra: {} }), ok, `user name: ${name}`)
    t.equal(isSendableIdentity({ name: 'u', groups: [], extra: { k: [v] } }), ok, `extra value: ${name}`)
    if (ok) t.equal(headerValue(v, 'x'), v, `${name}: written as is`)
    else t.throws(() => headerValue(v, 'x'), InvalidIdentityError, `${name}: refused when written`)
  }
})

t.test('one identity stamped under two sets of header names gets each set, never the other one\'s memo', async (t) => {
  const custom = { user: 'X-Forwarded-User', group: 'X-Forwarded-Groups', extraPrefix: 'X-Forwarded-Extra-' }
  for (const [names, userHeader, groupHeader] of [
    [defaultIdentityHeaderNames, 'X-Remote-User', 'X-Remote-Group'],
    [custom, 'X-Forwarded-User', 'X-Forwarded-Groups'],
    [defaultIdentityHeaderNames, 'X-Remote-User', 'X-Remote-Group'],
  ] as const) {
    const h: HeaderObject = { 'x-remote-user': 'forged' }
    applyIdentityHeaders(h, names, alice)
    t.equal(h[userHeader], 'alice', `${userHeader} carries the user`)
    t.same(h[groupHeader], alice.groups)
    t.equal(Object.keys(h).length, 2 + Object.keys(alice.extra).length, 'only this set of names')
  }
})

t.test('stamped values are shared between requests and frozen: changing one throws instead of leaking into the next request', async (t) => {
  const a: HeaderObject = {}
  const b: HeaderObject = {}
  applyIdentityHeaders(a, defaultIdentityHeaderNames, alice)
  applyIdentityHeaders(b, defaultIdentityHeaderNames, alice)
  t.equal(a['X-Remote-Group'], b['X-Remote-Group'], 'encoded once per identity')
  t.throws(() => (a['X-Remote-Group'] as string[]).push('system:masters'))
  t.same(b['X-Remote-Group'], alice.groups)
})
