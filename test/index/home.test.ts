import t from 'tap'
import { base36BytesPad, cachedHomeClusterName, homeClusterName, rewriteUserPath } from '../../src/index/home.js'

t.test('homeClusterName matches the upstream user_test.go vectors', async (t) => {
  const vectors: Array<[string, string]> = [
    ['', '36ks9xj4a2n61'],
    ['alice', 'v1u4alow0iv9'],
    ['bob', '2okdry95y5lkv'],
    ['user-with-dash', '1e25681jymk1l'],
    ['user:with:colons', '2bqfj6xlthg3t'],
    ['user172', '0f9mt7goyif7'],
  ]
  for (const [user, want] of vectors) {
    t.equal(homeClusterName(user), want, JSON.stringify(user))
    t.equal(cachedHomeClusterName(user), want, `cached ${JSON.stringify(user)}`)
    t.equal(cachedHomeClusterName(user), want, `cached twice ${JSON.stringify(user)}`)
  }
})

t.test('base36BytesPad pads one 0 per leading zero byte (encoder_test.go vectors)', async (t) => {
  const vectors: Array<[number[], string]> = [
    [[0x00, 0x01], '01'],
    [[0x00, 0x00, 0x01], '001'],
    [[0x00, 0x00], '00'],
    [[], ''],
    [[0xff], '73'],
    [[0x01, 0x00], '74'], // big-endian: 256 = 7*36 + 4
    [[0x00, 0xff, 0xff], '01ekf'], // 65535
  ]
  for (const [bytes, want] of vectors) t.equal(base36BytesPad(Uint8Array.from(bytes)), want, JSON.stringify(bytes))
})

t.test('rewriteUserPath replaces user:<name> with the home cluster and keeps the rest', async (t) => {
  const cases: Array<[string[], string[]]> = [
    [['user', 'alice', 'ws'], ['v1u4alow0iv9', 'ws']],
    [['user', 'alice'], ['v1u4alow0iv9']],
    [['user'], ['user']],
    [['root', 'user', 'alice'], ['root', 'user', 'alice']],
    [[], []],
  ]
  for (const [input, want] of cases) t.same(rewriteUserPath(input), want, input.join(':'))
})

t.test('the home-name memo stays bounded and keeps answering correctly', async (t) => {
  for (let i = 0; i < 5000; i++) cachedHomeClusterName(`u${i}`)
  t.equal(cachedHomeClusterName('alice'), 'v1u4alow0iv9')
  t.equal(cachedHomeClusterName('u4999'), homeClusterName('u4999'))
})
