import t from 'tap'
import { formatHost, servingURL } from '../../src/server/address.js'

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
