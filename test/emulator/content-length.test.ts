// Content-Length on what real shards answer with one: every non-streaming response (objects, lists,
// Tables, Status errors, the mux's plain 404, health, discovery, creates) carries the exact byte length,
// over HTTP/1.1 and HTTP/2. Streams do not: watches, and lists long enough to be streamed.
import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { h1, h2 } from '../proxy/fixtures/client.js'

const TBL = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
const AGG = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'

for (const http2 of [false, true]) {
  t.test(http2 ? 'HTTP/2 shard' : 'HTTP/1.1 shard', async (t) => {
    const topo = await startTopology({ http2 })
    t.teardown(() => topo.close())
    const ca = topo.pki.servingCA.cert
    const base = `${topo.root.baseURL}/clusters/root`
    const auth = { cert: topo.pki.admin.cert, key: topo.pki.admin.key }
    const get = http2 ? h2 : h1
    const cases: [string, string, Parameters<typeof h1>[2]][] = [
      ['object', `${base}/api/v1/namespaces/default`, auth],
      ['list', `${base}/api/v1/namespaces`, auth],
      ['Table', `${base}/api/v1/namespaces`, { ...auth, headers: { accept: TBL } }],
      ['NotFound Status', `${base}/api/v1/namespaces/nope`, auth],
      ['Unauthorized Status', `${base}/api/v1/namespaces`, {}],
      ['plain 404', `${base}/nope`, auth],
      ['health', `${topo.root.baseURL}/readyz`, {}],
      ['aggregated discovery', `${base}/apis`, { ...auth, headers: { accept: AGG } }],
      ['create', `${base}/api/v1/namespaces/default/configmaps`, { ...auth, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metadata":{"name":"c"}}' }],
    ]
    for (const [what, url, o] of cases) {
      const r = await get(url, ca, o)
      t.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)), `${what} (${r.status})`)
    }
    const watch = await get(`${base}/api/v1/namespaces?watch=true&timeoutSeconds=1`, ca, auth)
    t.equal(watch.status, 200)
    t.equal(watch.headers['content-length'], undefined, 'a watch is a stream')
    topo.seedWorkspaces('root', Array.from({ length: 600 }, (_, i) => `w${i}`))
    const big = await get(`${base}/apis/tenancy.kcp.io/v1alpha1/workspaces`, ca, auth)
    t.equal(JSON.parse(big.body).items.length, 600)
    t.equal(big.headers['content-length'], undefined, 'a list of more than 500 items is streamed')
  })
}
