import t from 'tap'
import { AuthConfigIndex, workspaceTypeKey, type AuthConfigChange, type AuthConfigObject, type WorkspaceTypeObject } from '../../src/index/auth-configs.js'

const wst = (cluster: string, path: string | undefined, name: string, configs: string[]): WorkspaceTypeObject => ({
  metadata: { name, annotations: { 'kcp.io/cluster': cluster, ...(path !== undefined ? { 'kcp.io/path': path } : {}) } },
  spec: { authenticationConfigurations: configs.map((n) => ({ name: n })) },
})
const wac = (cluster: string, name: string): AuthConfigObject => ({ metadata: { name, annotations: { 'kcp.io/cluster': cluster } }, spec: { jwt: [] } })

t.test('workspace type key: <kcp.io/path>:<name>, the name alone without a path (upstream getWorkspaceTypeKey)', async (t) => {
  t.equal(workspaceTypeKey(wst('lc1', 'root:org', 'with-oidc', [])), 'root:org:with-oidc')
  t.equal(workspaceTypeKey(wst('lc1', undefined, 'with-oidc', [])), 'with-oidc')
  t.equal(workspaceTypeKey(wst('lc1', '', 'with-oidc', [])), 'with-oidc')
})

t.test('lookup table', async (t) => {
  type Step = (ix: AuthConfigIndex) => void
  const cases: { name: string; steps: Step[]; key: string; want: unknown }[] = [
    { name: 'empty index', steps: [], key: 'root:org:t', want: undefined },
    { name: 'type without configurations', steps: [(ix) => ix.upsertWorkspaceType('s1', wst('lc1', 'root:org', 't', []))], key: 'root:org:t', want: undefined },
    {
      name: 'the WACs a type names, in its order, in its logical cluster',
      steps: [(ix) => ix.upsertWorkspaceType('s1', wst('lc1', 'root:org', 't', ['b', 'a']))],
      key: 'root:org:t',
      want: { shard: 's1', cluster: 'lc1', refs: [{ shard: 's1', cluster: 'lc1', name: 'b' }, { shard: 's1', cluster: 'lc1', name: 'a' }] },
    },
    { name: 'another key', steps: [(ix) => ix.upsertWorkspaceType('s1', wst('lc1', 'root:org', 't', ['a']))], key: 'root:t', want: undefined },
    {
      name: 'a type known on two shards: the first shard by name, whatever the insertion order',
      steps: [(ix) => ix.upsertWorkspaceType('s2', wst('lc2', 'root:org', 't', ['x'])), (ix) => ix.upsertWorkspaceType('s1', wst('lc1', 'root:org', 't', ['y']))],
      key: 'root:org:t',
      want: { shard: 's1', cluster: 'lc1', refs: [{ shard: 's1', cluster: 'lc1', name: 'y' }] },
    },
    {
      name: 'the same key in two clusters of one shard: the smaller cluster name',
      steps: [(ix) => ix.upsertWorkspaceType('s1', wst('lcb', 'root:org', 't', ['x'])), (ix) => ix.upsertWorkspaceType('s1', wst('lca', 'root:org', 't', ['y']))],
      key: 'root:org:t',
      want: { shard: 's1', cluster: 'lca', refs: [{ shard: 's1', cluster: 'lca', name: 'y' }] },
    },
    {
      name: 'an update replaces the list',
      steps: [(ix) => ix.upsertWorkspaceType('s1', wst('lc1', 'root:org', 't', ['a'])), (ix) => ix.upsertWorkspaceType('s1', wst('lc1', 'root:org', 't', ['c']))],
      key: 'root:org:t',
      want: { shard: 's1', cluster: 'lc1', refs: [{ shard: 's1', cluster: 'lc1', name: 'c' }] },
    },
    {
      name: 'a delete forgets it; the other shard then answers',
      steps: [
        (ix) => ix.upsertWorkspaceType('s1', wst('lc1', 'root:org', 't', ['a'])),
        (ix) => ix.upsertWorkspaceType('s2', wst('lc2', 'root:org', 't', ['b'])),
        (ix) => ix.deleteWorkspaceType('s1', wst('lc1', 'root:org', 't', [])),
      ],
      key: 'root:org:t',
      want: { shard: 's2', cluster: 'lc2', refs: [{ shard: 's2', cluster: 'lc2', name: 'b' }] },
    },
    {
      name: 'a shard delete forgets its types',
      steps: [(ix) => ix.upsertWorkspaceType('s1', wst('lc1', 'root:org', 't', ['a'])), (ix) => ix.deleteShard('s1')],
      key: 'root:org:t',
      want: undefined,
    },
    {
      name: 'empty and null names are skipped',
      steps: [(ix) => ix.upsertWorkspaceType('s1', { metadata: { name: 't', annotations: { 'kcp.io/cluster': 'lc1', 'kcp.io/path': 'root' } }, spec: { authenticationConfigurations: [null, { name: '' }, {}, { name: 'a' }] } })],
      key: 'root:t',
      want: { shard: 's1', cluster: 'lc1', refs: [{ shard: 's1', cluster: 'lc1', name: 'a' }] },
    },
  ]
  for (const c of cases) {
    const ix = new AuthConfigIndex()
    for (const s of c.steps) s(ix)
    t.same(ix.lookup(c.key), c.want, c.name)
  }
})

t.test('WACs: stored per shard/cluster/name, changes announced synchronously, deletes idempotent', async (t) => {
  const ix = new AuthConfigIndex()
  const seen: AuthConfigChange[] = []
  const unsubscribe = ix.subscribe((c) => seen.push(c))
  const a = wac('lc1', 'a')
  ix.upsertAuthConfig('s1', a)
  t.equal(ix.authConfig({ shard: 's1', cluster: 'lc1', name: 'a' }), a)
  t.equal(ix.authConfig({ shard: 's2', cluster: 'lc1', name: 'a' }), undefined, 'another shard does not see it')
  t.same(seen, [{ type: 'upsert', ref: { shard: 's1', cluster: 'lc1', name: 'a' }, object: a }])
  const g = ix.generation
  ix.deleteAuthConfig('s1', wac('lc1', 'missing'))
  t.equal(ix.generation, g, 'deleting an unknown WAC changes nothing')
  t.equal(seen.length, 1)
  ix.upsertAuthConfig('s2', wac('lc2', 'b'))
  ix.upsertAuthConfig('s1', wac('lc0', 'c'))
  t.same(ix.authConfigs().map((c) => c.ref), [{ shard: 's1', cluster: 'lc0', name: 'c' }, { shard: 's1', cluster: 'lc1', name: 'a' }, { shard: 's2', cluster: 'lc2', name: 'b' }], 'ordered')
  ix.deleteShard('s1')
  t.same(seen.slice(-2).map((c) => c.type), ['delete', 'delete'], 'a shard delete announces each WAC it drops')
  t.same(ix.sizes(), { shards: 0, types: 0, configs: 1 })
  ix.deleteAuthConfig('s2', wac('lc2', 'b'))
  t.same(ix.sizes(), { shards: 0, types: 0, configs: 0 }, 'nothing left behind')
  unsubscribe()
  ix.upsertAuthConfig('s1', a)
  t.equal(seen.length, 6, 'no calls after unsubscribe')
})
