// Shards started with `http2: true` speak h2 (ALPN) with an HTTP/1.1 fallback, and the
// proxy's --backend-http2 routes through them; requestheader identity still works over h2.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTopology } from '../../src/emulator/index.js'
import { createFrontProxy } from '../../src/server/index.js'
import { caFromPair, issueLoopbackServerCert } from '../../src/pki/index.js'
import { h1, h2 } from '../proxy/fixtures/client.js'

const topo = await startTopology({ shards: ['root', 'alpha'], http2: true })
t.teardown(() => topo.close())
const ca = topo.pki.servingCA.cert
const admin = { cert: topo.pki.admin.cert, key: topo.pki.admin.key }

t.test('an http2 shard answers h2 clients over h2 and HTTP/1.1 clients over HTTP/1.1', async (t) => {
  const url = `${topo.root.baseURL}/clusters/root/api/v1/namespaces/default`
  const a = await h2(url, ca, admin)
  t.equal(a.status, 200)
  t.equal(a.alpn, 'h2')
  const b = await h1(url, ca, admin)
  t.equal(b.status, 200)
})

t.test('the proxy with --backend-http2 routes into a workspace on an h2 shard with the stamped identity', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-h2-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const files = await topo.writeFiles(dir)
  await topo.createWorkspace('root', 'h2org', { shard: 'alpha' })
  const serving = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
  writeFileSync(join(dir, 'p.crt'), serving.cert)
  writeFileSync(join(dir, 'p.key'), serving.key)
  const proxy = await createFrontProxy({
    proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
    secureServing: { tlsCertFile: join(dir, 'p.crt'), tlsPrivateKeyFile: join(dir, 'p.key') },
    authentication: { clientCAFile: files.clientCACert },
    extra: { backendHttp2: true },
  })
  t.teardown(() => proxy.close())
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
  const r = await h2(`${proxy.url}/clusters/root:h2org/apis/authentication.k8s.io/v1/selfsubjectreviews`, ca, {
    method: 'POST', body, headers: { 'content-type': 'application/json', 'x-remote-user': 'mallory' }, ...admin,
  })
  t.equal(r.status, 201, r.body)
  const user = JSON.parse(r.body).status.userInfo
  t.equal(user.username, 'admin', 'the proxy-stamped identity, not the forged header')
  t.notOk(user.groups.includes('system:masters'), 'dropped by the default group filter')
})
