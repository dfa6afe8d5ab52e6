// createFrontProxy with --feature-gates=WorkspaceAuthentication=true: the controller watches
// WorkspaceTypes and WACs, and every WAC is a /readyz check that never takes the replica out.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTopology } from '../../src/emulator/index.js'
import { createFrontProxy } from '../../src/server/index.js'
import { caFromPair, issueLoopbackServerCert } from '../../src/pki/index.js'
import { h1 } from '../proxy/fixtures/client.js'
import { eventually } from '../kube/fixtures/eventually.js'

const topo = await startTopology({ shards: ['root'] })
t.teardown(() => topo.close())
const dir = mkdtempSync(join(tmpdir(), 'fp-wsauth-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const files = await topo.writeFiles(dir)
const org = await topo.createWorkspace('root', 'org')
// Issuer unreachable on purpose: the WAC builds, its keys cannot load.
await topo.putAuthConfig('root:org', 'good', { jwt: [{ issuer: { url: 'https://127.0.0.1:9', audiences: ['kcp'] }, claimMappings: { username: { claim: 'email', prefix: 'oidc:' } } }] })
await topo.putAuthConfig('root:org', 'bad', { jwt: [{ issuer: { url: 'http://idp', audiences: ['kcp'] }, claimMappings: { username: { claim: 'email', prefix: '' } } }] })
const serving = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
writeFileSync(join(dir, 'proxy.crt'), serving.cert)
writeFileSync(join(dir, 'proxy.key'), serving.key)
const ca = topo.pki.servingCA.cert

t.test('WAC checks in /readyz: reported, never blocking; the gate is accepted', async (t) => {
  const proxy = await createFrontProxy({
    proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
    secureServing: { tlsCertFile: join(dir, 'proxy.crt'), tlsPrivateKeyFile: join(dir, 'proxy.key') },
    extra: { featureGates: { WorkspaceAuthentication: true } },
  })
  t.teardown(() => proxy.close())
  const none = { headers: {} }
  const bad = `workspace-auth:root:${org.cluster}:bad`
  const good = `workspace-auth:root:${org.cluster}:good`
  const v = await h1(`${proxy.url}/readyz?verbose`, ca, none)
  t.equal(v.status, 200)
  t.match(v.body, `[-]${bad} failed (not blocking)`)
  t.match(v.body, /readyz check passed/)
  const one = await h1(`${proxy.url}/readyz/${bad}`, ca, none)
  t.equal(one.status, 500)
  t.match(one.body, /not built: spec\.jwt\[0\]\.issuer\.url: Invalid value: "http:\/\/idp": URL scheme must be https/)
  await eventually(async () => /keys not loaded: /.test((await h1(`${proxy.url}/readyz/${good}`, ca, none)).body), { message: 'the unreachable issuer is named' })
  const m = await proxy.registry.metrics()
  t.match(m, /kcp_front_proxy_workspace_auth_configs\{state="failed"\} 1/)
  t.match(m, /kcp_front_proxy_workspace_auth_build_failures_total 1/)
})
