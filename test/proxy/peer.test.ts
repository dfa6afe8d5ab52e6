import t from 'tap'
import type { ProxyRequest } from '../../src/proxy/exchange.js'
import { authRequestOf, distinctHeaders } from '../../src/proxy/peer.js'

// A request object as Node's HTTP/2 compatibility layer gives it: joined headers plus raw pairs.
const h2Request = (raw: string[]): { req: ProxyRequest; reads: () => number } => {
  let reads = 0
  const req = {
    headers: { 'x-remote-group': raw.filter((_v, i) => i % 2 === 1).join(', ') },
    get rawHeaders() {
      reads++
      return raw
    },
  }
  return { req: req as unknown as ProxyRequest, reads: () => reads }
}

t.test('distinct headers keep every value of a repeated header apart, lowercased, without pseudo-headers', async (t) => {
  const cases: [string, string[], Record<string, string[]>][] = [
    ['one value', ['X-Remote-User', 'alice'], { 'x-remote-user': ['alice'] }],
    ['repeated names stay apart', ['X-Remote-Group', 'a, b', 'x-remote-group', 'c'], { 'x-remote-group': ['a, b', 'c'] }],
    ['pseudo-headers are not headers', [':path', '/x', ':authority', 'h', 'accept', '*/*'], { accept: ['*/*'] }],
  ]
  for (const [name, raw, want] of cases) t.same(distinctHeaders(h2Request(raw).req), want, name)
})

t.test('the authenticators get unjoined headers built once, and only when one of them reads them', async (t) => {
  const { req, reads } = h2Request(['X-Remote-Group', 'a', 'X-Remote-Group', 'b'])
  const ar = authRequestOf(req, [])
  t.equal(reads(), 0, 'not built for authenticators that never read them (x509, bearer)')
  t.same(ar.headersDistinct?.['x-remote-group'], ['a', 'b'], 'built on first read')
  void ar.headersDistinct
  t.equal(reads(), 1, 'and not rebuilt on later reads')
  t.equal(ar.headers, req.headers, 'joined headers are the request’s own')
})
