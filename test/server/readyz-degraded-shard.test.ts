// One unreachable shard must not keep every replica out of the load balancer: after the
// sync deadline the replica reports ready, and /readyz?verbose still names the shard.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTopology } from '../../src/emulator/index.js'
import { createFrontProxy } from '../../src/server/index.js'
import { caFromPair, issueLoopbackServerCert } from '../../src/pki/index.js'
import { h1 } from '../proxy/fixtures/client.js'

const topo = await startTopology({ shards: ['root', 'alpha'] })
t.teardown(() => topo.close())
const dir = mkdtempSync(join(tmpdir(), 'fp-readyz-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const files = await topo.writeFiles(dir)
await topo.createWorkspace('root', 'org', { shard: 'root' })
await topo.shards.get('alpha')!.stop()
const serving = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
writeFileSync(join(dir, 'proxy.crt'), serving.cert)
writeFileSync(join(dir, 'proxy.key'), serving.key)
const ca = topo.pki.servingCA.cert

t.test('a shard that cannot sync within the deadline is reported but the replica is ready and routes', async (t) => {
  const proxy = await createFrontProxy({
    proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
    secureServing: { tlsCertFile: join(dir, 'proxy.crt'), tlsPrivateKeyFile: join(dir, 'proxy.key') },
    extra: { shardSyncTimeoutSeconds: 1 },
  })
  t.teardown(() => proxy.close())
  const insecure = { headers: {} }
  const r = await h1(`${proxy.url}/readyz`, ca, insecure)
  t.equal(r.status, 200)
  t.equal(r.body, 'ok')
  const v = await h1(`${proxy.url}/readyz?verbose`, ca, insecure)
  t.equal(v.status, 200)
  t.match(v.body, /\[-\]shard:alpha failed \(not blocking\)/)
  t.match(v.body, /readyz check passed/)
  const one = await h1(`${proxy.url}/readyz/shard:alpha`, ca, insecure)
  t.equal(one.status, 500)
  const ns = await h1(`${proxy.url}/clusters/root:org/api/v1/namespaces`, ca, { headers: { authorization: 'Bearer admin-token' } })
  t.equal(ns.status, 200, 'workspaces on the healthy shard route')
})
