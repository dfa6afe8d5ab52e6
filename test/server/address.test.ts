import t from 'tap'
import { formatHost, servingURL, splitHostPort } from '../../src/server/address.js'

t.test('splitHostPort reads the forms the bind-address flags take', async (t) => {
  const cases: [string, [string, string]][] = [
    ['127.0.0.1:8080', ['127.0.0.1', '8080']],
    [':9090', ['0.0.0.0', '9090']],
    ['[::1]:0', ['::1', '0']],
    ['localhost', ['localhost', '0']],
  ]
  for (const [input, want] of cases) t.same(splitHostPort(input), want, input)
})

t.test('URLs bracket IPv6 and reach a wildcard bind through loopback', async (t) => {
  t.equal(formatHost('::1'), '[::1]')
  t.equal(formatHost('10.0.0.1'), '10.0.0.1')
  const cases: [string, string][] = [
    ['0.0.0.0', 'https://127.0.0.1:6443'],
    ['::', 'https://127.0.0.1:6443'],
    ['::1', 'https://[::1]:6443'],
    ['192.168.1.2', 'https://192.168.1.2:6443'],
  ]
  for (const [bind, want] of cases) t.equal(servingURL(bind, 6443), want, bind)
})
