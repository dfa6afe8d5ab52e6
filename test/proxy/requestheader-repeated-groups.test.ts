// A mounts proxy re-entering the front-proxy asserts the identity with requestheader
// headers. Repeated X-Remote-Group lines are separate groups: Node joins repeated headers
// with ", ", so the pipeline must hand authentication the unjoined values.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTopology } from '../../src/emulator/index.js'
import { caFromPair, createCA, issueLoopbackServerCert } from '../../src/pki/index.js'
import { createFrontProxy } from '../../src/server/index.js'
import { h1, h2 } from './fixtures/client.js'

const topo = await startTopology({ shards: ['root', 'alpha'] })
t.teardown(() => topo.close())
const dir = mkdtempSync(join(tmpdir(), 'fp-rh-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const files = await topo.writeFiles(join(dir, 'topology'))
await topo.createWorkspace('root', 'org', { shard: 'alpha' })
const serving = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
writeFileSync(join(dir, 'proxy.crt'), serving.cert)
writeFileSync(join(dir, 'proxy.key'), serving.key)
const mountsCA = await createCA('mounts-requestheader-ca')
writeFileSync(join(dir, 'rh-ca.crt'), mountsCA.cert)
const mounts = await mountsCA.issue({ commonName: 'kcp-mounts-proxy', usage: 'client' })

const proxy = await createFrontProxy({
  proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
  secureServing: { tlsCertFile: join(dir, 'proxy.crt'), tlsPrivateKeyFile: join(dir, 'proxy.key') },
  authentication: {
    requestheaderClientCAFile: join(dir, 'rh-ca.crt'),
    requestheaderAllowedNames: ['kcp-mounts-proxy'],
    requestheaderUsernameHeaders: ['X-Remote-User'],
    requestheaderGroupHeaders: ['X-Remote-Group'],
    requestheaderExtraHeadersPrefix: ['X-Remote-Extra-'],
  },
})
t.teardown(() => proxy.close())

const path = '/clusters/root:org/apis/authentication.k8s.io/v1/selfsubjectreviews'
const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
const headers = { 'content-type': 'application/json', 'x-remote-user': 'carol', 'x-remote-group': ['devs', 'ops'] }

for (const [name, client] of [['HTTP/1.1', h1], ['HTTP/2', h2]] as const) {
  t.test(`${name}: repeated X-Remote-Group lines from a requestheader client reach the shard as separate groups`, async (t) => {
    const r = await client(`${proxy.url}${path}`, topo.pki.servingCA.cert, { method: 'POST', body, headers, cert: mounts.cert, key: mounts.key })
    t.equal(r.status, 201, r.body)
    const user = JSON.parse(r.body).status.userInfo
    t.equal(user.username, 'carol')
    t.ok(user.groups.includes('devs'), 'devs is its own group')
    t.ok(user.groups.includes('ops'), 'ops is its own group')
    t.notOk(user.groups.includes('devs, ops'), 'no joined pseudo-group')
  })
}
