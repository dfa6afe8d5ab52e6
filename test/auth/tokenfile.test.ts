import t from 'tap'
import { parseCSV, parseTokenFile, TokenFileAuthenticator } from '../../src/auth/tokenfile.js'
import { tempDir, writeFile } from './fixtures.js'

t.test('CSV parsing follows Go encoding/csv with TrimLeadingSpace', async (t) => {
  const cases: [string, string[][]][] = [
    ['a,b,c', [['a', 'b', 'c']]],
    ['a, b,  c\n', [['a', 'b', 'c']]],
    ['a,b,c,"g1,g2"\r\n', [['a', 'b', 'c', 'g1,g2']]],
    ['\n\na,b,c\n\n', [['a', 'b', 'c']]],
    ['"x""y",b,c', [['x"y', 'b', 'c']]],
    ['a,b,"multi\nline"\nd,e,f', [['a', 'b', 'multi\nline'], ['d', 'e', 'f']]],
    ['a,,c', [['a', '', 'c']]],
  ]
  for (const [input, want] of cases) t.same(parseCSV(input, 'f').map((r) => r.fields), want, JSON.stringify(input))
  t.same(parseCSV('\n\na,b,c\n', 'f')[0].line, 3)
  t.throws(() => parseCSV('a,b,"open\n', 'tokens.csv'), /tokens\.csv:1: extraneous or missing "/)
  t.throws(() => parseCSV('ok,ok,ok\na,b"c,d', 'tokens.csv'), /tokens\.csv:2: bare "/)
})

t.test('token file records map to users; errors name file and line', async (t) => {
  const warnings: string[] = []
  const m = parseTokenFile('t1,alice,uid-1,"g1,g2"\nt2,bob,\n,empty,x\nt1,alice2,u\n', 'tokens.csv', (w) => warnings.push(w))
  t.same(m.get('t1'), { name: 'alice2', uid: 'u', groups: [], extra: {} })
  t.same(m.get('t2'), { name: 'bob', groups: [], extra: {} })
  t.equal(m.size, 2)
  t.match(warnings, [/tokens\.csv:3: empty token/, /tokens\.csv:4: duplicate token/])
  t.same(parseTokenFile('t,u,i,"a,b"', 'f').get('t')!.groups, ['a', 'b'])
  t.throws(() => parseTokenFile('ok,u,i\nonly,two\n', 'tokens.csv'), /tokens\.csv:2: token file must have at least 3 columns/)
})

t.test('the authenticator accepts listed tokens only and holds no raw token', async (t) => {
  const dir = tempDir(t)
  const a = new TokenFileAuthenticator(writeFile(dir, 'tokens.csv', 'sekrit-token,alice,uid-1,"g1"\n'))
  t.same((await a.verifyToken('sekrit-token'))?.user, { name: 'alice', uid: 'uid-1', groups: ['g1'], extra: {} })
  t.equal(await a.verifyToken('sekrit-tokeN'), null)
  t.equal(await a.verifyToken(''), null)
  t.notOk(JSON.stringify(Object.getOwnPropertyNames(a)).includes('sekrit'))
  t.throws(() => new TokenFileAuthenticator(`${dir}/missing.csv`), /missing\.csv: cannot read token file/)
})
