import t from 'tap'
import { request } from 'node:https'
import { startBackend, startProxy, twoShardIndex } from '../proxy/fixtures/env.js'

function get(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('a workspace request is routed to the shard of its logical cluster', async (t) => {
  const root = await startBackend(t)
  const alpha = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, alpha.url) })
  const r = await get(`${env.proxy.url}/clusters/root:org/api/v1/namespaces?limit=5`, env.ca)
  t.equal(r.status, 200)
  const seen = JSON.parse(r.body)
  t.equal(seen.url, '/clusters/orgcluster/api/v1/namespaces?limit=5')
  t.equal(seen.clientCN, 'kcp-front-proxy')
  t.equal(alpha.seen.length, 1)
  t.equal(root.seen.length, 0)
})
