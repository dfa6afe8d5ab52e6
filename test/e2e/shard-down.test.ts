// A shard that goes away under a proxy speaking HTTP/2 to its shards (the chart's default): clients
// get a 502 Status and the proxy keeps serving (a refused connect once threw in the HTTP/2 pool's
// connect callback and took the process down).
import t from 'tap'
import { startE2E } from './fixtures/env.js'
import { h1, h2 } from '../proxy/fixtures/client.js'
import { eventually } from '../fixtures/eventually.js'

t.test('a shard refusing connections behind backend HTTP/2: 502 Status to HTTP/1.1 and HTTP/2 clients, the proxy keeps serving', async (t) => {
  const env = await startE2E(t, { http2: true, clientCertAuth: false, extra: { backendHttp2: true } })
  const url = `${env.proxyURL}/clusters/${env.org.cluster}/api/v1/namespaces/default/configmaps`
  const auth = { headers: { authorization: 'Bearer admin-token' } }
  t.equal((await h2(url, env.ca, auth)).status, 200, 'served while the shard is up')
  const alpha = env.topo.shards.get('alpha')!
  await alpha.stop()
  for (const get of [h1, h2]) {
    const r = await get(url, env.ca, auth)
    t.equal(r.status, 502)
    t.match(JSON.parse(r.body), { kind: 'Status', code: 502, reason: 'BadGateway' })
  }
  t.equal((await h1(`${env.proxyURL}/livez`, env.ca)).status, 200, 'the proxy process is alive')
  await alpha.start()
  await eventually('the shard serves again through the proxy', async () => (await h2(url, env.ca, auth)).status === 200)
})
