// Deletes, leaks, counters and the generation of WorkspaceIndex (src/index/state.ts).
import t from 'tap'
import { WorkspaceIndex } from '../../src/index/index.js'
import { newLogicalCluster as lc, newMountWorkspace as mountWs, newWorkspace as ws } from './fixtures/objects.js'

const empty = { clusters: 0, shards: 0, workspaces: 0, types: 0, memo: 0 }

/** "34" is a child (root:org) and a parent (of a mount, an Unavailable workspace and a normal one). */
function scrubFixture(): WorkspaceIndex {
  const index = new WorkspaceIndex()
  index.upsertShard('root', 'https://root.io')
  index.upsertWorkspace('root', ws('org', 'root', '34'))
  index.upsertWorkspace('root', mountWs('mounted', '34', 'https://m.example', 'Ready', '55'))
  index.upsertWorkspace('root', ws('broken', '34', '66', 'Unavailable'))
  index.upsertWorkspace('root', ws('plain', '34', '77'))
  index.upsertLogicalCluster('root', lc('root', 'root:root'))
  index.upsertLogicalCluster('root', lc('34', 'root:organization'))
  return index
}

t.test('deleting a logical cluster first scrubs it as child and as parent (TestDeleteLogicalClusterScrubsAllMaps)', async (t) => {
  const index = scrubFixture()
  t.same(index.debugSizes(), { clusters: 5, shards: 1, workspaces: 4, types: 2, memo: 0 })
  t.same(index.indexedCounts(), new Map([['root', 4]]))
  index.deleteLogicalCluster('root', lc('34'))
  // Left: LC root only. Every record naming 34 (as child or as parent) is gone, and
  // with them the placeholder nodes 55/66/77 that only those records referred to.
  t.same(index.debugSizes(), { clusters: 1, shards: 1, workspaces: 0, types: 1, memo: 0 })
  t.same(index.indexedCounts(), new Map([['root', 0]]))
  t.equal(index.lookup('root:org'), undefined)
  t.equal(index.lookup('34:plain'), undefined)
  // The Workspace deletes arriving afterwards are no-ops.
  const gen = index.generation
  for (const [name, parent, child] of [['org', 'root', '34'], ['mounted', '34', '55'], ['broken', '34', '66'], ['plain', '34', '77']] as const) {
    index.deleteWorkspace('root', ws(name, parent, child))
  }
  t.equal(index.generation, gen, 'late Workspace deletes change nothing')
  index.deleteLogicalCluster('root', lc('root'))
  index.deleteShard('root')
  t.same(index.debugSizes(), empty)
})

t.test('deleting the Workspaces first, then the logical cluster, also leaves nothing behind (TestDeleteLogicalCluster_ScrubsAllMaps)', async (t) => {
  const index = scrubFixture()
  index.deleteWorkspace('root', ws('org', 'root', '34'))
  index.deleteWorkspace('root', ws('mounted', '34', '55'))
  index.deleteWorkspace('root', ws('broken', '34', '66'))
  index.deleteWorkspace('root', ws('plain', '34', '77'))
  t.same(index.debugSizes(), { clusters: 2, shards: 1, workspaces: 0, types: 2, memo: 0 })
  index.deleteLogicalCluster('root', lc('34'))
  index.deleteLogicalCluster('root', lc('root'))
  t.same(index.debugSizes(), { clusters: 0, shards: 1, workspaces: 0, types: 0, memo: 0 }, 'only the shard (it has a base URL) remains')
  index.deleteShard('root')
  t.same(index.debugSizes(), empty)
})

t.test('deleting a shard drops everything it reported and keeps what others reported', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertShard('root', 'https://root.io')
  index.upsertShard('beta', 'https://beta.io')
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertWorkspace('root', ws('org', 'root', 'o'))
  index.upsertLogicalCluster('beta', lc('o', 'root:organization'))
  index.upsertWorkspace('beta', ws('team', 'o', 't'))
  index.upsertLogicalCluster('beta', lc('t'))
  t.match(index.lookup('root:org:team'), { shard: 'beta', cluster: 't' })
  index.deleteShard('beta')
  t.equal(index.lookup('root:org'), undefined)
  t.same(index.indexedCounts(), new Map([['root', 1]]), 'root still reports its workspace org')
  // The shard comes back (e.g. restarted informers): root's record for org still points at o.
  index.upsertShard('beta', 'https://beta2.io')
  index.upsertLogicalCluster('beta', lc('o'))
  t.match(index.lookupURL('root:org'), { shard: 'beta', cluster: 'o', url: 'https://beta2.io/clusters/o' })
  index.deleteShard('beta')
  index.deleteShard('root')
  t.same(index.debugSizes(), empty)
})

t.test('objects without a kcp.io/cluster annotation are ignored', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertWorkspace('root', { metadata: { name: 'x' }, spec: { cluster: 'c' }, status: { phase: 'Ready' } })
  index.upsertLogicalCluster('root', { metadata: { name: 'cluster' } })
  t.equal(index.generation, 0)
  t.same(index.debugSizes(), empty)
})

t.test('a workspace losing its cluster and mount is forgotten; a removed mount stops routing', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertWorkspace('root', mountWs('m', 'root', 'https://m.example'))
  t.match(index.lookup('root:m'), { url: 'https://m.example' })
  index.upsertWorkspace('root', ws('m', 'root', ''))
  t.equal(index.lookup('root:m'), undefined)
  t.same(index.debugSizes(), { clusters: 1, shards: 1, workspaces: 0, types: 0, memo: 0 })
  index.upsertWorkspace('root', mountWs('m', 'root', 'not a url'))
  t.equal(index.lookup('root:m'), undefined, 'an unparseable mount URL is not routable')
})

t.test('generation counts state changes only', async (t) => {
  const index = new WorkspaceIndex()
  const steps: Array<[string, () => void, boolean]> = [
    ['new shard', () => index.upsertShard('root', 'https://root.io'), true],
    ['same shard URL', () => index.upsertShard('root', 'https://root.io'), false],
    ['new URL', () => index.upsertShard('root', 'https://root2.io'), true],
    ['new LC', () => index.upsertLogicalCluster('root', lc('root')), true],
    ['same LC', () => index.upsertLogicalCluster('root', lc('root')), false],
    ['LC type change', () => index.upsertLogicalCluster('root', lc('root', 'root:root')), true],
    ['new workspace', () => index.upsertWorkspace('root', ws('org', 'root', 'o')), true],
    ['same workspace', () => index.upsertWorkspace('root', ws('org', 'root', 'o')), false],
    ['Scheduling update', () => index.upsertWorkspace('root', ws('org', 'root', 'x', 'Scheduling')), false],
    ['phase Unavailable', () => index.upsertWorkspace('root', ws('org', 'root', 'o', 'Unavailable')), true],
    ['phase Initializing (routable like Ready)', () => index.upsertWorkspace('root', ws('org', 'root', 'o', 'Initializing')), true],
    ['phase Ready', () => index.upsertWorkspace('root', ws('org', 'root', 'o', 'Ready')), false],
    ['delete workspace', () => index.deleteWorkspace('root', ws('org', 'root', 'o')), true],
    ['delete workspace again', () => index.deleteWorkspace('root', ws('org', 'root', 'o')), false],
    ['delete LC from another shard', () => index.deleteLogicalCluster('beta', lc('root')), false],
    ['delete LC', () => index.deleteLogicalCluster('root', lc('root')), true],
    ['delete unknown shard', () => index.deleteShard('beta'), false],
    ['delete shard', () => index.deleteShard('root'), true],
  ]
  for (const [name, step, changes] of steps) {
    const before = index.generation
    step()
    t.equal(index.generation, before + (changes ? 1 : 0), name)
  }
})

t.test('a memoised answer never outlives a state change', async (t) => {
  const index = new WorkspaceIndex()
  index.upsertShard('root', 'https://root.io')
  index.upsertLogicalCluster('root', lc('root'))
  index.upsertWorkspace('root', ws('org', 'root', 'o'))
  index.upsertLogicalCluster('root', lc('o', 'root:organization'))
  const first = index.lookup('root:org')
  t.same(first, { shard: 'root', cluster: 'o', type: 'root:organization', url: '', errorCode: 0 })
  t.throws(() => { (first as { cluster: string }).cluster = 'tampered' }, TypeError, 'answers are frozen: a caller cannot poison the memo')
  t.match(index.lookup('root:org'), { cluster: 'o' })
  t.ok(Object.isFrozen(index.lookup('root:org')), 'memo hits are frozen too')
  t.equal(index.debugSizes().memo, 1)
  t.equal(index.lookupURL('root:org')?.url, 'https://root.io/clusters/o')
  t.equal(index.debugSizes().memo, 2, 'lookupURL answers are remembered too')
  index.upsertShard('root', 'https://new.io')
  t.equal(index.lookupURL('root:org')?.url, 'https://new.io/clusters/o', 'a new base URL is seen at once')
  index.upsertLogicalCluster('beta', lc('o', 'root:organization'))
  t.match(index.lookup('root:org'), { shard: 'beta' }, 'a moved cluster is seen at once')
  index.upsertWorkspace('root', ws('org', 'root', 'o', 'Unavailable'))
  t.match(index.lookup('root:org'), { errorCode: 503 })
  index.deleteWorkspace('root', ws('org', 'root', 'o'))
  t.equal(index.lookup('root:org'), undefined)
  t.equal(index.debugSizes().memo, 0, 'misses are not memoised')
})

t.test('the memo is bounded and can be disabled', async (t) => {
  const index = new WorkspaceIndex({ memoSize: 3 })
  index.upsertLogicalCluster('root', lc('root'))
  for (let i = 0; i < 10; i++) {
    index.upsertWorkspace('root', ws(`w${i}`, 'root', `c${i}`))
    index.upsertLogicalCluster('root', lc(`c${i}`))
  }
  for (let i = 0; i < 10; i++) t.match(index.lookup(`root:w${i}`), { cluster: `c${i}` })
  t.ok(index.debugSizes().memo <= 3)
  const off = new WorkspaceIndex({ memoSize: 0 })
  off.upsertLogicalCluster('root', lc('root'))
  t.match(off.lookup('root'), { cluster: 'root' })
  t.equal(off.debugSizes().memo, 0)
})
