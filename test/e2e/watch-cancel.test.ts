// A client that goes away in the middle of a watch must not leave the proxy's upstream
// watch open on the shard (one leaked watch per disconnect would exhaust a shard).
import t from 'tap'
import { request as httpsRequest } from 'node:https'
import type { ClientRequest, IncomingMessage } from 'node:http'
import { startE2E, eventually } from './fixtures/env.js'

const e = await startE2E(t)
const alpha = e.topo.shards.get('alpha')!

function openWatch(path: string): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${e.proxyURL}${path}`, { ca: e.ca, cert: e.topo.pki.admin.cert, key: e.topo.pki.admin.key, agent: false })
    req.on('response', (res) => resolve({ req, res }))
    req.on('error', reject)
    req.end()
  })
}

t.test('closing the client connection mid-watch cancels the upstream watch on the shard', async (t) => {
  const before = alpha.stats.openWatches
  const { req, res } = await openWatch('/clusters/root:org/api/v1/namespaces/default/configmaps?watch=true')
  t.equal(res.statusCode, 200)
  await eventually('the upstream watch to open', 5000, () => alpha.stats.openWatches === before + 1)
  res.on('error', () => { /* the abort below */ })
  req.destroy()
  await eventually('the upstream watch to close', 10_000, () => alpha.stats.openWatches === before)
  t.equal(alpha.stats.openWatches, before)
})

t.test('many aborted watches leave none behind', async (t) => {
  const before = alpha.stats.openWatches
  const watches = await Promise.all(Array.from({ length: 20 }, () => openWatch('/clusters/root:org/api/v1/configmaps?watch=true')))
  await eventually('20 upstream watches', 5000, () => alpha.stats.openWatches === before + 20)
  for (const w of watches) { w.res.on('error', () => {}); w.req.destroy() }
  await eventually('all upstream watches to close', 10_000, () => alpha.stats.openWatches === before)
  t.equal(alpha.stats.openWatches, before)
})
