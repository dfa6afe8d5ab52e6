import t from 'tap'
import { WorkspaceIndex, RECENT_DELETIONS, RecentDeletions } from '../../src/index/index.js'
import type { LogicalClusterObject, WorkspaceObject } from '../../src/index/types.js'

const ws = (name: string, parent: string, child: string): WorkspaceObject => ({ metadata: { name, annotations: { 'kcp.io/cluster': parent } }, spec: { cluster: child }, status: { phase: 'Ready' } })
const lc = (name: string): LogicalClusterObject => ({ metadata: { name: 'cluster', annotations: { 'kcp.io/cluster': name } } })

function tree(): WorkspaceIndex {
  const idx = new WorkspaceIndex()
  idx.upsertShard('root', 'https://root')
  idx.upsertLogicalCluster('root', lc('root'))
  idx.upsertWorkspace('root', ws('org', 'root', 'orglc'))
  idx.upsertLogicalCluster('root', lc('orglc'))
  idx.upsertWorkspace('root', ws('team', 'orglc', 'teamlc'))
  idx.upsertLogicalCluster('root', lc('teamlc'))
  idx.upsertWorkspace('root', ws('gone', 'orglc', 'gonelc'))
  idx.upsertLogicalCluster('root', lc('gonelc'))
  return idx
}

t.test('why a workspace path did not resolve', async (t) => {
  const idx = tree()
  idx.deleteWorkspace('root', ws('gone', 'orglc', 'gonelc'))
  const cases: [string, string, string][] = [
    ['root:org:nope', 'unknown', 'root:org:nope'],
    ['root:nope:deeper', 'unknown', 'root:nope'],
    ['nope', 'unknown', 'nope'],
    ['user:alice', 'unknown', 'user:alice'],
    ['root:org:gone', 'deleted', 'root:org:gone'],
    ['root:org:gone:child', 'deleted', 'root:org:gone'],
    ['Root:Org', 'invalid', 'Root:Org'],
    ['alice@example.com', 'invalid', 'alice@example.com'],
  ]
  for (const [path, reason, at] of cases) {
    t.equal(idx.lookupURL(path), undefined, `${path} does not resolve`)
    t.same(idx.explainMiss(path), { reason, at }, path)
  }
})

t.test('a deleted logical cluster makes the workspaces pointing at it "deleted"; re-creating forgets it', async (t) => {
  const idx = tree()
  idx.deleteLogicalCluster('root', lc('teamlc'))
  t.same(idx.explainMiss('root:org:team'), { reason: 'deleted', at: 'root:org:team' })
  idx.upsertWorkspace('root', ws('team', 'orglc', 'teamlc2'))
  idx.upsertLogicalCluster('root', lc('teamlc2'))
  t.ok(idx.lookupURL('root:org:team'), 'routable again')
  idx.deleteWorkspace('root', ws('team', 'orglc', 'teamlc2'))
  idx.upsertWorkspace('root', ws('team', 'orglc', 'teamlc3'))
  t.same(idx.explainMiss('root:org:team'), { reason: 'unknown', at: 'root:org:team' }, 're-created but its cluster is not indexed yet: not "deleted"')
})

t.test('a path that resolves but whose shard has no URL', async (t) => {
  const idx = tree()
  idx.deleteShard('root')
  idx.upsertLogicalCluster('beta', lc('root'))
  t.same(idx.explainMiss('root'), { reason: 'no-shard-url', at: 'root' })
})

t.test(`deletions are remembered up to ${RECENT_DELETIONS}, the oldest forgotten first`, async (t) => {
  const d = new RecentDeletions()
  for (let i = 0; i <= RECENT_DELETIONS; i++) d.add('p', `w${i}`)
  t.notOk(d.has('p', 'w0'), 'the oldest is forgotten')
  t.ok(d.has('p', 'w1'))
  t.ok(d.has('p', `w${RECENT_DELETIONS}`))
})
