// End-to-end versions of the identity attacks: through createFrontProxy to emulated shards,
// reading back what identity reached the shard from its SelfSubjectReview.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTopology } from '../../src/emulator/index.js'
import { caFromPair, createCA, issueLoopbackServerCert } from '../../src/pki/index.js'
import { createFrontProxy } from '../../src/server/index.js'
import { h1 } from '../proxy/fixtures/client.js'
import { LogCapture, tempDir, TestIssuer } from '../auth/fixtures.js'

const topo = await startTopology({ shards: ['root', 'alpha'] })
t.teardown(() => topo.close())
const dir = tempDir(t)
const files = await topo.writeFiles(join(dir, 'topology'))
await topo.createWorkspace('root', 'org', { shard: 'alpha' })
const issuer = await TestIssuer.start(t, dir)
const serving = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
writeFileSync(join(dir, 'proxy.crt'), serving.cert)
writeFileSync(join(dir, 'proxy.key'), serving.key)
const log = new LogCapture()
const proxy = await createFrontProxy({
  proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
  secureServing: { tlsCertFile: join(dir, 'proxy.crt'), tlsPrivateKeyFile: join(dir, 'proxy.key') },
  authentication: {
    clientCAFile: files.clientCACert,
    tokenAuthFile: files.tokenCsv,
    oidcIssuerURL: issuer.url,
    oidcClientID: 'kcp',
    oidcCAFile: issuer.caFile,
    oidcUsernameClaim: 'email',
    oidcGroupsClaim: 'groups',
    oidcGroupsPrefix: '',
  },
  logger: log.logger,
})
t.teardown(() => proxy.close())
const ca = topo.pki.servingCA.cert
const reviewPath = '/clusters/root:org/apis/authentication.k8s.io/v1/selfsubjectreviews'
const review = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
const forged = { 'X-Remote-User': 'admin', 'x-remote-group': 'system:masters', 'X-REMOTE-EXTRA-scopes': 'cluster:*' }

async function whoami(o: { headers?: Record<string, string>; cert?: string; key?: string }) {
  const r = await h1(`${proxy.url}${reviewPath}`, ca, { method: 'POST', body: review, ...o, headers: { 'content-type': 'application/json', ...(o.headers ?? {}) } })
  return { status: r.status, user: r.status === 201 ? JSON.parse(r.body).status.userInfo : undefined }
}

t.test('e2e: OIDC user with forged X-Remote-* and a system:masters groups claim reaches the shard as itself, unprivileged', async (t) => {
  const tok = await issuer.token({ email: 'dev@example.com', groups: ['devs', 'system:masters'] })
  const r = await whoami({ headers: { ...forged, authorization: `Bearer ${tok}` } })
  t.equal(r.status, 201)
  t.equal(r.user.username, 'dev@example.com')
  t.same([...r.user.groups].sort(), ['devs', 'system:authenticated'])
  t.notOk(r.user.extra !== undefined && 'scopes' in r.user.extra)
})

t.test('e2e: admin client certificate (O=system:masters) loses system:masters at the proxy (default drop groups)', async (t) => {
  const r = await whoami({ cert: topo.pki.admin.cert, key: topo.pki.admin.key, headers: forged })
  t.equal(r.status, 201)
  t.equal(r.user.username, 'admin')
  t.notOk(r.user.groups.includes('system:masters'))
})

t.test('e2e: forged headers without a credential get 401 at the proxy, the shard is never asked', async (t) => {
  t.equal((await whoami({ headers: forged })).status, 401)
})

t.test('e2e: the shards\' requestheader certificate presented by a client is not trusted by the proxy', async (t) => {
  t.equal((await whoami({ cert: topo.pki.proxyClient.cert, key: topo.pki.proxyClient.key, headers: forged })).status, 401)
})

t.test('e2e: a client certificate from an untrusted CA with the admin CN gets 401', async (t) => {
  const evil = await (await createCA('client-ca')).issue({ commonName: 'admin', organizations: ['system:masters'], usage: 'client' })
  t.equal((await whoami({ cert: evil.cert, key: evil.key, headers: forged })).status, 401)
})

t.test('e2e: an expired OIDC token gets 401, and no token reached the logs', async (t) => {
  const tok = await issuer.token({ email: 'dev@example.com' }, { exp: Math.floor(Date.now() / 1000) - 300 })
  t.equal((await whoami({ headers: { authorization: `Bearer ${tok}` } })).status, 401)
  t.notOk(/eyJ[A-Za-z0-9_-]{10,}/.test(log.text))
})
