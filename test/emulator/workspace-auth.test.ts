import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { openWatch, requestURL } from '../../src/emulator/client.js'

interface KObj { metadata: { name: string; annotations: Record<string, string> }; spec: Record<string, unknown> }
interface KList { items: KObj[] }

const jwt = [{ issuer: { url: 'https://idp.example.com', audiences: ['kcp'] }, claimMappings: { username: { claim: 'email', prefix: 'oidc:' } } }]

t.test('WorkspaceTypes and WorkspaceAuthenticationConfigurations, as kcp serves them', async (t) => {
  const topo = await startTopology({ shards: ['root', 'alpha'] })
  t.teardown(() => topo.close())
  const ca = topo.pki.servingCA.cert
  const admin = { ca, token: 'admin-token' }
  const org = await topo.createWorkspace('root', 'org', { shard: 'alpha' })
  const alpha = topo.shards.get('alpha')!
  const tenancy = topo.identityHashes['tenancy.kcp.io']
  const base = `${alpha.baseURL}/clusters/root:org/apis/tenancy.kcp.io/v1alpha1`

  t.test('create, get, list and delete through the API; a WorkspaceType gets its cluster path annotation', async (t) => {
    const created = await requestURL(`${base}/workspaceauthenticationconfigurations`, { ...admin, method: 'POST', contentType: 'application/json', body: JSON.stringify({ apiVersion: 'tenancy.kcp.io/v1alpha1', kind: 'WorkspaceAuthenticationConfiguration', metadata: { name: 'api-auth' }, spec: { jwt } }) })
    t.equal(created.status, 201, created.body)
    const wst = await requestURL(`${base}/workspacetypes`, { ...admin, method: 'POST', contentType: 'application/json', body: JSON.stringify({ metadata: { name: 'api-type' }, spec: { authenticationConfigurations: [{ name: 'api-auth' }] } }) })
    t.equal(wst.status, 201, wst.body)
    t.same(wst.json<KObj>().metadata.annotations, { 'kcp.io/cluster': org.cluster, 'kcp.io/path': 'root:org' })
    const got = await requestURL(`${base}/workspaceauthenticationconfigurations/api-auth`, admin)
    t.same(got.json<KObj>().spec, { jwt })
    const list = await requestURL(`${base}/workspacetypes`, admin)
    t.same(list.json<KList>().items.map((i) => i.metadata.name), ['api-type'])
    t.equal((await requestURL(`${base}/workspacetypes/api-type`, { ...admin, method: 'DELETE' })).status, 200)
    t.equal((await requestURL(`${base}/workspaceauthenticationconfigurations/api-auth`, { ...admin, method: 'DELETE' })).status, 200)
    t.equal((await requestURL(`${base}/workspaceauthenticationconfigurations/api-auth`, admin)).status, 404)
  })

  t.test('wildcard list and watch need the tenancy identity, like workspaces', async (t) => {
    await topo.putAuthConfig('root:org', 'my-auth', { jwt })
    await topo.putWorkspaceType('root:org', 'with-oidc', { authenticationConfigurations: ['my-auth'] })
    const wild = `${alpha.baseURL}/clusters/*/apis/tenancy.kcp.io/v1alpha1`
    t.equal((await requestURL(`${wild}/workspacetypes`, admin)).status, 404, 'no identity: 404')
    t.equal((await requestURL(`${wild}/workspacetypes:wrong`, admin)).status, 404, 'wrong identity: 404')
    const types = await requestURL(`${wild}/workspacetypes:${tenancy}`, admin)
    t.equal(types.status, 200)
    const wt = types.json<KList>().items.find((i) => i.metadata.name === 'with-oidc')!
    t.same(wt.metadata.annotations, { 'kcp.io/cluster': org.cluster, 'kcp.io/path': 'root:org' })
    t.same(wt.spec, { authenticationConfigurations: [{ name: 'my-auth' }] })
    const wacs = await requestURL(`${wild}/workspaceauthenticationconfigurations:${tenancy}`, admin)
    t.same(wacs.json<KList>().items.map((i) => `${i.metadata.annotations['kcp.io/cluster']}/${i.metadata.name}`), [`${org.cluster}/my-auth`])

    const rv = wacs.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion
    const w = await openWatch(`${wild}/workspaceauthenticationconfigurations:${tenancy}?watch=true&resourceVersion=${rv}`, admin)
    t.teardown(() => w.close())
    await topo.putAuthConfig('root:org', 'my-auth', { jwt: [{ ...jwt[0], issuer: { url: 'https://other.example.com', audiences: ['kcp'] } }] })
    const modified = await w.next()
    t.equal(modified?.type, 'MODIFIED')
    t.match(modified?.object, { spec: { jwt: [{ issuer: { url: 'https://other.example.com' } }] } })
    await topo.deleteAuthConfig('root:org', 'my-auth')
    t.equal((await w.next())?.type, 'DELETED')
    await topo.deleteWorkspaceType('root:org', 'with-oidc')
  })

  t.test('a workspace of that type: its LogicalCluster names the type <path>:<name>', async (t) => {
    const team = await topo.createWorkspace('root:org', 'team', { type: 'root:org:with-oidc', shard: 'root' })
    const lc = await requestURL(`${topo.root.baseURL}/clusters/${team.cluster}/apis/core.kcp.io/v1alpha1/logicalclusters/cluster`, admin)
    t.equal(lc.json<KObj>().metadata.annotations['internal.tenancy.kcp.io/type'], 'root:org:with-oidc')
  })

  t.test('helpers reject paths that do not resolve', async (t) => {
    await t.rejects(topo.putWorkspaceType('root:nope', 'x'), /does not resolve/)
  })
})
