import t from 'tap'
import { WorkspaceIndex } from '../../src/index/index.js'
import type { LogicalClusterObject, WorkspaceObject } from '../../src/index/types.js'
import { newLogicalCluster as lc, newMountWorkspace as mountWs, newWorkspace as ws } from './fixtures/objects.js'

interface Scenario {
  name: string
  path: string
  shards?: Array<[string, string]>
  workspaces?: Array<[string, WorkspaceObject]>
  clusters?: Array<[string, LogicalClusterObject]>
  want?: { shard: string; cluster: string; url?: string; errorCode?: number }
}

const threeShards: Array<[string, string]> = [
  ['root', 'https://root.kcp.dev'],
  ['beta', 'https://beta.kcp.dev'],
  ['gama', 'https://gama.kcp.dev'],
]
const spread = {
  shards: threeShards,
  workspaces: [['root', ws('org', 'root', 'one')], ['beta', ws('rh', 'one', 'two')]] as Array<[string, WorkspaceObject]>,
  clusters: [['root', lc('root')], ['beta', lc('one')], ['gama', lc('two')]] as Array<[string, LogicalClusterObject]>,
}
const mountRef = 'https://kcp.dev.local/services/custom-url/proxy'

// Mirrors upstream pkg/index/index_test.go TestLookup, case by case.
const lookupScenarios: Scenario[] = [
  { name: 'an empty index is usable', path: 'root' },
  { name: 'an empty path is not found', path: '' },
  {
    name: 'a workspace must be scheduled to be considered',
    path: 'root:organization',
    shards: [['root', 'https://root.kcp.dev']],
    workspaces: [['root', ws('org', 'root', 'organization', 'Scheduling')]],
    clusters: [['root', lc('root')], ['root', lc('organization')]],
  },
  {
    name: 'single shard: root:org resolves to its logical cluster',
    path: 'root:org',
    shards: [['root', 'https://root.kcp.dev']],
    workspaces: [['root', ws('org', 'root', 'one')], ['root', ws('rh', 'one', 'two')]],
    clusters: [['root', lc('root')], ['root', lc('one')], ['root', lc('two')]],
    want: { shard: 'root', cluster: 'one' },
  },
  {
    name: 'multiple shards: root:org resolves to the child shard',
    path: 'root:org',
    shards: threeShards.slice(0, 2),
    workspaces: [['root', ws('org', 'root', 'one')], ['root', ws('rh', 'one', 'two')]],
    clusters: [['root', lc('root')], ['beta', lc('one')], ['beta', lc('two')]],
    want: { shard: 'beta', cluster: 'one' },
  },
  { name: 'multiple shards: root:org:rh walks across three shards', path: 'root:org:rh', ...spread, want: { shard: 'gama', cluster: 'two' } },
  { name: 'multiple shards: a path may start at a logical cluster name (one:rh)', path: 'one:rh', ...spread, want: { shard: 'gama', cluster: 'two' } },
  { name: 'multiple shards: an unknown first segment is not found', path: 'does-not-exists:rh', ...spread },
  { name: 'multiple shards: a broken chain (root:one:rh) is not found', path: 'root:one:rh', ...spread },
  {
    name: 'a mount with a URL resolves to the URL with empty shard and cluster',
    path: 'one:mount',
    ...spread,
    workspaces: [['root', ws('org', 'root', 'one')], ['beta', mountWs('mount', 'one', mountRef)]],
    want: { shard: '', cluster: '', url: mountRef },
  },
  {
    name: 'a mount that is Unavailable resolves to its URL with 503',
    path: 'one:rh',
    ...spread,
    workspaces: [['root', ws('org', 'root', 'one')], ['beta', mountWs('rh', 'one', mountRef, 'Unavailable')]],
    want: { shard: '', cluster: '', url: mountRef, errorCode: 503 },
  },
  {
    name: 'a mount without a URL yet is not found',
    path: 'one:rh',
    ...spread,
    workspaces: [['root', ws('org', 'root', 'one')], ['beta', mountWs('rh', 'one', '')]],
  },
  { name: 'the wildcard path is not found', path: '*', ...spread },
  { name: 'an uppercase path is not found', path: 'root:ORG', ...spread },
  { name: 'system: clusters are not reachable by path', path: 'system:admin', ...spread, clusters: [['root', lc('system:admin')]] },
  { name: 'an invalid path is not found', path: 'root:org/x', ...spread },
]

function build(s: Omit<Scenario, 'name' | 'path'>): WorkspaceIndex {
  const index = new WorkspaceIndex()
  for (const [name, url] of s.shards ?? []) index.upsertShard(name, url)
  for (const [shard, w] of s.workspaces ?? []) index.upsertWorkspace(shard, w)
  for (const [shard, c] of s.clusters ?? []) index.upsertLogicalCluster(shard, c)
  return index
}

t.test('lookup (upstream TestLookup cases)', async (t) => {
  for (const s of lookupScenarios) {
    const got = build(s).lookup(s.path)
    if (s.want === undefined) t.equal(got, undefined, s.name)
    else t.same(got, { type: '', url: '', errorCode: 0, ...s.want }, s.name)
  }
})

t.test('deleting a shard hides its clusters and is idempotent (TestDeleteShard)', async (t) => {
  const index = new WorkspaceIndex()
  index.deleteShard('root')
  index.upsertShard('root', 'https://root.io')
  index.upsertShard('amber', 'https://amber.io')
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertWorkspace('root', ws('org1', 'root', '43'))
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertLogicalCluster('root', lc('34'))
  index.upsertLogicalCluster('amber', lc('43'))
  t.match(index.lookup('root:org1'), { shard: 'amber', cluster: '43' })
  index.deleteShard('amber')
  t.equal(index.lookup('root:org1'), undefined)
  t.match(index.lookup('root:org'), { shard: 'root', cluster: '34' })
  index.deleteShard('amber')
  t.match(index.lookup('root:org'), { shard: 'root', cluster: '34' })
})

t.test('deleting a logical cluster hides it and is idempotent (TestDeleteLogicalCluster)', async (t) => {
  const index = new WorkspaceIndex()
  index.deleteLogicalCluster('root', lc('34'))
  index.upsertShard('root', 'https://root.io')
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertLogicalCluster('root', lc('34'))
  t.match(index.lookup('root:org'), { shard: 'root', cluster: '34' })
  index.deleteLogicalCluster('root', lc('34'))
  t.equal(index.lookup('root:org'), undefined)
  t.match(index.lookup('root'), { shard: 'root', cluster: 'root' })
  index.deleteLogicalCluster('root', lc('34'))
  t.match(index.lookup('root'), { shard: 'root', cluster: 'root' })
})

t.test('a delete from the shard a cluster moved away from is ignored', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertLogicalCluster('root', lc('34'))
  index.upsertLogicalCluster('amber', lc('34'))
  index.deleteLogicalCluster('root', lc('34'))
  t.match(index.lookup('root:org'), { shard: 'amber', cluster: '34' })
})

t.test('deleting a workspace hides only that workspace and is idempotent (TestDeleteWorkspace)', async (t) => {
  const index = new WorkspaceIndex()
  index.deleteWorkspace('root', ws('org', 'root', '34'))
  index.upsertShard('root', 'https://root.io')
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertWorkspace('root', ws('org1', 'root', '43'))
  for (const name of ['root', '34', '43']) index.upsertLogicalCluster('root', lc(name))
  t.match(index.lookup('root:org'), { shard: 'root', cluster: '34' })
  index.deleteWorkspace('root', ws('org', 'root', '34'))
  t.equal(index.lookup('root:org'), undefined)
  t.match(index.lookup('root:org1'), { shard: 'root', cluster: '43' })
  index.deleteWorkspace('root', ws('org', 'root', '34'))
  t.match(index.lookup('root:org1'), { shard: 'root', cluster: '43' })
})

t.test('a logical cluster moving between shards follows the move (TestUpsertLogicalCluster)', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertShard('root', 'https://root.io')
  index.upsertShard('amber', 'https://amber.io')
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertLogicalCluster('root', lc('34'))
  t.match(index.lookup('root:org'), { shard: 'root', cluster: '34' })
  index.upsertLogicalCluster('amber', lc('34'))
  t.match(index.lookup('root:org'), { shard: 'amber', cluster: '34' })
  t.equal(index.lookupURL('root:org')?.url, 'https://amber.io/clusters/34')
})

t.test('lookupURL joins the shard base URL and the cluster (TestLookupURL)', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertShard('root', 'https://root.io')
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertLogicalCluster('root', lc('34', 'root:universal'))
  t.same(index.lookupURL('root:org'), { shard: 'root', cluster: '34', type: 'root:universal', url: 'https://root.io/clusters/34', errorCode: 0 })
  t.equal(index.lookupURL('root:org:rh'), undefined)
  index.upsertShard('root', 'https://root.io/')
  t.equal(index.lookupURL('root:org')?.url, 'https://root.io/clusters/34', 'one trailing slash is trimmed')
})

t.test('lookupURL: unknown shard URL is not found; mounts and 503s are returned as they are', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertWorkspace('root', ws('down', 'root', '35', 'Unavailable'))
  index.upsertWorkspace('root', mountWs('m', 'root', mountRef))
  for (const name of ['root', '34', '35']) index.upsertLogicalCluster('root', lc(name))
  t.match(index.lookup('root:org'), { shard: 'root', cluster: '34' })
  t.equal(index.lookupURL('root:org'), undefined, 'no base URL for shard root')
  t.same(index.lookupURL('root:down'), { shard: 'root', cluster: '35', type: '', url: '', errorCode: 503 })
  t.same(index.lookupURL('root:m'), { shard: '', cluster: '', type: '', url: mountRef, errorCode: 0 })
})

t.test('a base URL change keeps every workspace on the shard routable (TestUpsertShard, Appendix A.1 fix)', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertShard('root', 'https://root.io')
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertLogicalCluster('root', lc('34'))
  t.equal(index.lookupURL('root:org')?.url, 'https://root.io/clusters/34')
  index.upsertShard('root', 'https://new-root.io')
  t.equal(index.lookupURL('root:org')?.url, 'https://new-root.io/clusters/34')
  t.equal(index.lookupURL('root')?.url, 'https://new-root.io/clusters/root')
})

t.test('a changed spec.cluster re-points the workspace (TestUpsertWorkspace)', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertShard('root', 'https://root.io')
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  for (const name of ['root', '34', '44']) index.upsertLogicalCluster('root', lc(name))
  t.match(index.lookup('root:org'), { shard: 'root', cluster: '34' })
  index.upsertWorkspace('root', ws('org', 'root', '44'))
  t.match(index.lookup('root:org'), { shard: 'root', cluster: '44' })
  t.same(index.indexedCounts(), new Map([['root', 1]]))
})

t.test('the workspace type follows every change of the LC annotation (Appendix A.4 fix)', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertLogicalCluster('root', lc('34', 'root:organization'))
  t.equal(index.lookup('root:org')?.type, 'root:organization')
  index.upsertLogicalCluster('root', lc('34', 'root:universal'))
  t.equal(index.lookup('root:org')?.type, 'root:universal')
  index.upsertLogicalCluster('root', lc('34'))
  t.equal(index.lookup('root:org')?.type, '', 'a removed annotation clears the type')
})

t.test('an Unavailable workspace makes every path walked through it 503 (kept from upstream)', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertWorkspace('root', ws('org', 'root', 'o', 'Unavailable'))
  index.upsertWorkspace('root', ws('team', 'o', 't'))
  index.upsertWorkspace('root', ws('sub', 't', 's'))
  for (const name of ['root', 'o', 't', 's']) index.upsertLogicalCluster('root', lc(name))
  t.match(index.lookup('root:org'), { cluster: 'o', errorCode: 503 })
  t.match(index.lookup('root:org:team'), { cluster: 't', errorCode: 503 })
  t.match(index.lookup('root:org:team:sub'), { cluster: 's', errorCode: 503 })
  t.match(index.lookup('o:team'), { cluster: 't', errorCode: 0 }, 'addressed by cluster name, the walk does not pass it')
  t.equal(index.lookup('root:org:nope'), undefined, 'not found wins over 503')
  index.upsertWorkspace('root', ws('org', 'root', 'o', 'Ready'))
  t.match(index.lookup('root:org:team:sub'), { cluster: 's', errorCode: 0 }, 'Ready again clears it')
})

t.test('user:<name> paths start at the home cluster', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertShard('root', 'https://root.io')
  index.upsertLogicalCluster('root', lc('v1u4alow0iv9', 'root:home'))
  index.upsertWorkspace('root', ws('ws', 'v1u4alow0iv9', 'w1'))
  index.upsertLogicalCluster('root', lc('w1'))
  t.match(index.lookupURL('user:alice'), { cluster: 'v1u4alow0iv9', type: 'root:home', url: 'https://root.io/clusters/v1u4alow0iv9' })
  t.match(index.lookup('user:alice:ws'), { cluster: 'w1' })
  t.equal(index.lookup('user'), undefined, 'user alone is looked up as a cluster named user')
  t.equal(index.lookup('user:bob'), undefined)
})
