import t from 'tap'
import { compareGoStrings, createGroupFilter, finalizeGroups, parseGroupPatterns, withAuthenticatedGroup } from '../../src/auth/groups.js'
import { defaultDropGroups } from '../../src/config/complete.js'

t.test('group filter table mirrors kcp groups_test.go', async (t) => {
  const cases: { name: string; passOn: string[]; drop: string[]; groups: string[]; want: string[] }[] = [
    { name: 'no groups', passOn: [], drop: ['x'], groups: [], want: [] },
    { name: 'pass all (empty pass-on list)', passOn: [], drop: ['x'], groups: ['b', 'a', 'c'], want: ['a', 'b', 'c'] },
    { name: 'pass exact', passOn: ['a', 'c'], drop: [], groups: ['a', 'b', 'c'], want: ['a', 'c'] },
    { name: 'pass prefixes', passOn: ['team-*'], drop: [], groups: ['team-a', 'team-b', 'other', 'team'], want: ['team-a', 'team-b'] },
    { name: 'drop exact', passOn: [], drop: ['system:masters'], groups: ['system:masters', 'dev'], want: ['dev'] },
    { name: 'drop prefixes', passOn: [], drop: ['system:kcp:*'], groups: ['system:kcp:admin', 'system:kcp', 'dev'], want: ['dev', 'system:kcp'] },
    { name: 'drop beats pass', passOn: ['system:*'], drop: ['system:masters'], groups: ['system:masters', 'system:authenticated', 'dev'], want: ['system:authenticated'] },
    {
      name: 'defaults drop lifecycle prefixes and privileged groups',
      passOn: [],
      drop: [...defaultDropGroups],
      groups: ['system:kcp:initializer:root:org', 'system:kcp:terminator:x', 'system:masters', 'system:kcp:logical-cluster-admin', 'system:kcp:logical-cluster-admin2', 'system:authenticated'],
      want: ['system:authenticated', 'system:kcp:logical-cluster-admin2'],
    },
    { name: 'duplicates removed and sorted', passOn: [], drop: ['z'], groups: ['b', 'a', 'b', 'a'], want: ['a', 'b'] },
    { name: 'empty pattern entries are ignored (flag given as empty clears defaults)', passOn: [''], drop: ['', 'x'], groups: ['x', 'y'], want: ['y'] },
    { name: 'a bare * drops everything', passOn: [], drop: ['*'], groups: ['a', 'b'], want: [] },
  ]
  for (const c of cases) {
    const f = createGroupFilter(c.passOn, c.drop)
    t.ok(f, c.name)
    t.same(f!(c.groups), c.want, c.name)
  }
})

t.test('with both lists empty there is no filter and group order is kept', async (t) => {
  t.equal(createGroupFilter([], []), null)
  t.equal(createGroupFilter([''], ['']), null)
  t.same(finalizeGroups({ name: 'u', groups: ['b', 'a'], extra: {} }, null).groups, ['b', 'a', 'system:authenticated'])
})

t.test('system:authenticated is added before filtering, as upstream', async (t) => {
  const f = createGroupFilter(['team-*'], [])
  t.same(finalizeGroups({ name: 'u', groups: ['team-a'], extra: {} }, f).groups, ['team-a'], 'pass-on list without it removes it')
  const d = createGroupFilter([], [...defaultDropGroups])
  t.same(finalizeGroups({ name: 'u', groups: ['z', 'system:masters'], extra: {} }, d).groups, ['system:authenticated', 'z'])
})

t.test('system:authenticated is not added twice nor to unauthenticated users', async (t) => {
  const u = { name: 'u', groups: ['system:authenticated'], extra: {} }
  t.equal(withAuthenticatedGroup(u), u)
  const anon = { name: 'system:anonymous', groups: ['system:unauthenticated'], extra: {} }
  t.equal(withAuthenticatedGroup(anon), anon)
})

t.test('patterns: only a trailing * is a prefix', async (t) => {
  const p = parseGroupPatterns(['a*b', 'c*', 'd'])
  t.same([...p.exact].sort(), ['a*b', 'd'])
  t.same(p.prefixes, ['c'])
})

t.test('sorting matches Go byte order also for non-BMP characters', async (t) => {
  const s = ['\u{1F600}', '\uFF61', 'a']
  t.same([...s].sort(compareGoStrings), ['a', '\uFF61', '\u{1F600}'])
  t.equal(compareGoStrings('x', 'x'), 0)
})
