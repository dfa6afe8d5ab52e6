import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { requestURL } from '../../src/emulator/client.js'

interface KObj { metadata: { name: string; labels?: Record<string, string>; annotations: Record<string, string> }; spec: Record<string, string>; status: Record<string, string> }
interface KList { items: KObj[] }

t.test('a three-shard topology serves kcp objects the proxy index needs', async (t) => {
  const topo = await startTopology({ shards: ['root', { name: 'alpha', labels: { region: 'eu' } }, { name: 'beta', labels: { region: 'us' } }] })
  t.teardown(() => topo.close())
  const ca = topo.pki.servingCA.cert
  const admin = { ca, token: 'admin-token' }

  t.test('Shard objects in root list every shard with its baseURL and labels', async (t) => {
    const r = await requestURL(`${topo.root.baseURL}/clusters/root/apis/core.kcp.io/v1alpha1/shards`, admin)
    t.equal(r.status, 200)
    const list = r.json<KList>()
    t.same(list.items.map((s) => s.metadata.name).sort(), ['alpha', 'beta', 'root'])
    const alpha = list.items.find((s) => s.metadata.name === 'alpha')!
    t.equal(alpha.spec.baseURL, topo.shards.get('alpha')!.baseURL)
    t.same(alpha.metadata.labels, { region: 'eu' })
    t.equal(alpha.metadata.annotations['kcp.io/cluster'], 'root')
  })

  t.test('APIExports in root carry the identity hashes', async (t) => {
    for (const [name, hash] of Object.entries(topo.identityHashes)) {
      const r = await requestURL(`${topo.root.baseURL}/clusters/root/apis/apis.kcp.io/v1alpha2/apiexports/${name}`, admin)
      t.equal(r.status, 200, name)
      t.equal(r.json<KObj>().status.identityHash, hash)
    }
  })

  t.test('createWorkspace honours the location selector and creates the LC on the chosen shard', async (t) => {
    for (let i = 0; i < 5; i++) {
      const ws = await topo.createWorkspace('root', `eu-${i}`, { selector: { region: 'eu' } })
      t.equal(ws.shard, 'alpha')
      t.equal(ws.path, `root:eu-${i}`)
      t.match(ws.cluster, /^[0-9a-z]{13}$/)
      t.same(topo.resolvePath(ws.path), { cluster: ws.cluster, shard: 'alpha' })
    }
    await t.rejects(topo.createWorkspace('root', 'nowhere', { selector: { region: 'mars' } }), /cannot be scheduled/)
  })

  t.test('wildcard workspaces need the tenancy identity suffix; logicalclusters never take one', async (t) => {
    const base = `${topo.root.baseURL}/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces`
    t.equal((await requestURL(base, admin)).status, 404)
    t.equal((await requestURL(`${base}:deadbeef`, admin)).status, 404)
    const r = await requestURL(`${base}:${topo.identityHashes['tenancy.kcp.io']}`, admin)
    t.equal(r.status, 200)
    t.ok(r.json<KList>().items.some((w) => w.metadata.name === 'eu-0' && w.status.phase === 'Ready' && w.spec.URL.endsWith('/clusters/root:eu-0')))
    const lcs = await requestURL(`${topo.shards.get('alpha')!.baseURL}/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters`, admin)
    t.equal(lcs.status, 200)
    const lc = lcs.json<KList>().items.find((x) => x.metadata.annotations['kcp.io/path'] === 'root:eu-0')!
    t.equal(lc.metadata.name, 'cluster')
    t.equal(lc.metadata.annotations['internal.tenancy.kcp.io/type'], 'root:universal')
    t.equal(lc.metadata.annotations['core.kcp.io/shard'], 'alpha')
    t.equal((await requestURL(`${topo.shards.get('alpha')!.baseURL}/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters:abc`, admin)).status, 404)
  })

  t.test('workspace paths resolve on the shard that hosts them', async (t) => {
    const alpha = topo.shards.get('alpha')!.baseURL
    const r = await requestURL(`${alpha}/clusters/root:eu-0/api/v1/namespaces`, { ca, token: 'user-token' })
    t.equal(r.status, 200)
    t.same(r.json<KList>().items.map((n) => n.metadata.name), ['default'])
  })

  t.test('deleteWorkspace removes the LC and its objects on the other shard', async (t) => {
    const ws = await topo.createWorkspace('root', 'doomed', { shard: 'beta' })
    const beta = topo.shards.get('beta')!.baseURL
    const created = await requestURL(`${beta}/clusters/${ws.cluster}/api/v1/namespaces/default/configmaps`, { ...admin, method: 'POST', contentType: 'application/json', body: JSON.stringify({ metadata: { name: 'c' } }) })
    t.equal(created.status, 201)
    await topo.deleteWorkspace('root:doomed')
    t.equal(topo.resolvePath('root:doomed'), undefined)
    const lcs = await requestURL(`${beta}/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters`, admin)
    t.notOk(lcs.json<KList>().items.some((x) => x.metadata.annotations['kcp.io/cluster'] === ws.cluster))
    const cms = await requestURL(`${beta}/clusters/*/api/v1/configmaps`, admin)
    t.same(cms.json<KList>().items, [])
  })
})
