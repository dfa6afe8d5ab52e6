import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { requestURL } from '../../src/emulator/client.js'

interface KObj { metadata: Record<string, unknown> & { name: string; annotations: Record<string, string> }; spec: Record<string, unknown>; status: Record<string, unknown> }
interface KList { items: KObj[]; metadata: { resourceVersion: string } }

/**
 * The shape of an object: per-instance values (names, ids, times, versions, URLs) blanked, and
 * managedFields left out (they record the write history, which seeding deliberately skips).
 */
function shape(o: KObj): unknown {
  const kept = new Set(['phase', 'kind', 'apiVersion', 'resource'])
  return JSON.parse(JSON.stringify(o, (k, v: unknown) => (k === 'managedFields' ? undefined : typeof v === 'string' && !kept.has(k) ? '' : v)))
}

t.test('seedWorkspaces writes the same objects a scheduled workspace ends with, at once', async (t) => {
  const topo = await startTopology({ shards: ['root', 'alpha', 'beta'] })
  t.teardown(() => topo.close())
  const admin = { ca: topo.pki.servingCA.cert, token: 'admin-token' }
  const get = async (shard: string, path: string): Promise<KObj> => {
    const r = await requestURL(`${topo.shards.get(shard)!.baseURL}${path}`, admin)
    t.equal(r.status, 200, path)
    return r.json<KObj>()
  }

  const scheduled = await topo.createWorkspace('root', 'scheduled', { shard: 'alpha' })
  const [seeded] = topo.seedWorkspaces('root', ['seeded'], { shards: ['alpha'] })
  t.match(seeded, { path: 'root:seeded', shard: 'alpha', cluster: /^[a-z0-9]{13}$/ })
  t.same(topo.resolvePath('root:seeded'), { cluster: seeded.cluster, shard: 'alpha' }, 'the path resolves like a scheduled one')

  const wsS = await get('root', '/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces/scheduled')
  const wsB = await get('root', '/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces/seeded')
  t.same(shape(wsB), shape(wsS), 'Workspace: same fields as a scheduled one')
  t.equal(wsB.status.phase, 'Ready')
  t.equal(wsB.spec.cluster, seeded.cluster)
  t.equal(wsB.spec.URL, `${topo.shards.get('alpha')!.baseURL}/clusters/root:seeded`)
  t.equal(wsB.metadata.annotations['core.kcp.io/shard'], 'alpha')

  const lcS = await get('alpha', `/clusters/${scheduled.cluster}/apis/core.kcp.io/v1alpha1/logicalclusters/cluster`)
  const lcB = await get('alpha', `/clusters/${seeded.cluster}/apis/core.kcp.io/v1alpha1/logicalclusters/cluster`)
  t.same(shape(lcB), shape(lcS), 'LogicalCluster: same fields as a scheduled one')
  t.equal(lcB.status.phase, 'Ready')
  t.equal(lcB.metadata.annotations['kcp.io/path'], 'root:seeded')
  t.equal((lcB.spec.owner as { uid: string }).uid, wsB.metadata.uid, 'the LC is owned by its Workspace')
  await get('alpha', `/clusters/${seeded.cluster}/api/v1/namespaces/default`)

  // Nothing is scheduled afterwards: the Workspace keeps its first resourceVersion, even after the
  // scheduler took a later workspace all the way to Ready.
  await topo.createWorkspace('root', 'scheduled-after', { shard: 'alpha' })
  const again = await get('root', '/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces/seeded')
  t.equal(again.metadata.resourceVersion, wsB.metadata.resourceVersion, 'no Scheduling/Initializing writes follow')
})

t.test('seedWorkspaces places workspaces round-robin and nests under seeded parents', async (t) => {
  const topo = await startTopology({ shards: ['root', 'alpha', 'beta'] })
  t.teardown(() => topo.close())
  const out = topo.seedWorkspaces('root', ['a', 'b', 'c', 'd'])
  t.same(out.map((w) => w.shard), ['root', 'alpha', 'beta', 'root'], 'every shard, in order, by default')
  const nested = topo.seedWorkspaces('root:b', ['x'], { shards: ['beta'], type: 'root:organization' })
  t.match(nested, [{ path: 'root:b:x', shard: 'beta' }])
  t.same(topo.resolvePath('root:b:x'), { cluster: nested[0].cluster, shard: 'beta' })
  const admin = { ca: topo.pki.servingCA.cert, token: 'admin-token' }
  const ws = await requestURL(`${topo.shards.get('alpha')!.baseURL}/clusters/${out[1].cluster}/apis/tenancy.kcp.io/v1alpha1/workspaces/x`, admin)
  t.equal(ws.status, 200, 'the nested Workspace lives in its parent\'s logical cluster, on the parent\'s shard')
  t.same((ws.json<KObj>().spec.type), { name: 'organization', path: 'root' })
  const lcs = await requestURL(`${topo.shards.get('beta')!.baseURL}/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters`, admin)
  t.ok(lcs.json<KList>().items.some((o) => o.metadata.annotations['kcp.io/path'] === 'root:b:x' && o.metadata.annotations['internal.tenancy.kcp.io/type'] === 'root:organization'))
})

/** The Kubernetes Status reason `fn` throws with ('none' when it does not throw). */
function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn()
    return 'none'
  } catch (e) {
    return (e as { status?: { reason?: string } }).status?.reason
  }
}

t.test('seedWorkspaces refuses bad input clearly and keeps what it already seeded', async (t) => {
  const topo = await startTopology({ shards: ['root', 'alpha'] })
  t.teardown(() => topo.close())
  t.throws(() => topo.seedWorkspaces('root:nope', ['a']), /parent workspace "root:nope" does not resolve/)
  t.throws(() => topo.seedWorkspaces('root', ['a'], { shards: ['gamma'] }), /unknown shard "gamma"/)
  t.throws(() => topo.seedWorkspaces('root', ['a'], { shards: [] }), /no shards/)
  topo.seedWorkspaces('root', ['a'])
  t.equal(reasonOf(() => topo.seedWorkspaces('root', ['b', 'a', 'c'])), 'AlreadyExists')
  t.ok(topo.resolvePath('root:b'), 'names before the duplicate were seeded')
  t.equal(topo.resolvePath('root:c'), undefined, 'names after it were not')
  t.equal(reasonOf(() => topo.seedWorkspaces('root', ['Not_Valid'])), 'Invalid')
})
