import t from 'tap'
import fc from 'fast-check'
import { AuthConfigIndex, WorkspaceIndex, type AuthConfigObject, type WorkspaceTypeObject } from '../../src/index/index.js'
import { applyRelayOp, IndexRecorder, type RelayOp } from '../../src/workers/index-relay.js'
import { newLogicalCluster as lc, newMountWorkspace as mountWs, newWorkspace as ws } from '../index/fixtures/objects.js'

const wst = (cluster: string, name: string, configs: string[]): WorkspaceTypeObject => ({
  metadata: { name, annotations: { 'kcp.io/cluster': cluster, 'kcp.io/path': 'root:org' } },
  spec: { authenticationConfigurations: configs.map((n) => ({ name: n })) },
})
const wac = (cluster: string, name: string): AuthConfigObject => ({ metadata: { name, annotations: { 'kcp.io/cluster': cluster } }, spec: { jwt: [{ issuer: { url: `https://${name}` } }] } })

/** Everything a reader can observe of the two indexes (the lookup memo aside). */
function observe(index: WorkspaceIndex, auth: AuthConfigIndex | undefined, paths: string[]): unknown {
  const { memo: _memo, ...sizes } = index.debugSizes()
  return {
    sizes,
    counts: [...index.indexedCounts()].sort(),
    lookups: paths.map((p) => [p, index.lookupURL(p) ?? null, index.explainMiss(p)]),
    auth: auth === undefined ? null : { types: ['root:org:t1', 'root:org:t2'].map((k) => auth.lookup(k) ?? null), configs: auth.authConfigs(), sizes: auth.sizes() },
  }
}

const base: RelayOp[] = [
  ['upsertShard', 'root', 'https://root.example'],
  ['upsertShard', 'beta', 'https://beta.example/'],
  ['upsertLogicalCluster', 'root', lc('root')],
  ['upsertLogicalCluster', 'beta', lc('one', 'root:universal')],
  ['upsertWorkspace', 'root', ws('org', 'root', 'one')],
  ['upsertLogicalCluster', 'beta', lc('two')],
  ['upsertWorkspace', 'beta', ws('team', 'one', 'two')],
]
const paths = ['root', 'root:org', 'root:org:team', 'one:team', 'root:gone', 'root:mnt', 'root:down', 'two', 'root:org:nope']

const cases: { name: string; ops: RelayOp[]; auth?: true }[] = [
  { name: 'shards, logical clusters and workspaces across shards', ops: base },
  { name: 'a deleted workspace is remembered as deleted', ops: [...base, ['upsertWorkspace', 'root', ws('gone', 'root', 'x')], ['deleteWorkspace', 'root', ws('gone', 'root', 'x')]] },
  { name: 'a re-created workspace is no longer remembered as deleted', ops: [...base, ['upsertWorkspace', 'root', ws('gone', 'root', 'x')], ['deleteWorkspace', 'root', ws('gone', 'root', 'x')], ['upsertWorkspace', 'root', ws('gone', 'root', 'y')]] },
  { name: 'a deleted logical cluster takes the workspaces pointing at it, though their objects remain', ops: [...base, ['deleteLogicalCluster', 'beta', lc('one')]] },
  {
    name: 'a logical cluster moved to another shard ignores the late delete from the old one',
    ops: [...base, ['upsertLogicalCluster', 'root', lc('two')], ['deleteLogicalCluster', 'beta', lc('two')]],
  },
  { name: 'a shard URL change keeps its clusters', ops: [...base, ['upsertShard', 'beta', 'https://beta2.example']] },
  { name: 'a deleted shard takes everything it reported', ops: [...base, ['deleteShard', 'beta']] },
  {
    name: 'mounts and unavailable workspaces',
    ops: [...base, ['upsertWorkspace', 'root', mountWs('mnt', 'root', 'https://mount.example/proxy')], ['upsertWorkspace', 'root', ws('down', 'root', 'three', 'Unavailable')], ['upsertLogicalCluster', 'root', lc('three')]],
  },
  { name: 'a workspace back in Scheduling keeps its placement (the event is ignored)', ops: [...base, ['upsertWorkspace', 'root', ws('org', 'root', 'one', 'Scheduling')]] },
  { name: 'a changed workspace type annotation', ops: [...base, ['upsertLogicalCluster', 'beta', lc('one', 'root:other')]] },
  { name: 'the same workspace reported by two shards', ops: [...base, ['upsertWorkspace', 'beta', ws('org', 'root', 'two')], ['deleteWorkspace', 'root', ws('org', 'root', 'one')]] },
  {
    name: 'workspace types and authentication configurations',
    auth: true,
    ops: [
      ...base,
      ['upsertWorkspaceType', 'root', wst('lc1', 't1', ['a', 'b'])],
      ['upsertAuthConfig', 'root', wac('lc1', 'a')],
      ['upsertAuthConfig', 'root', wac('lc1', 'b')],
      ['upsertWorkspaceType', 'beta', wst('lc2', 't2', ['c'])],
      ['upsertAuthConfig', 'beta', wac('lc2', 'c')],
      ['deleteAuthConfig', 'root', wac('lc1', 'b')],
      ['upsertWorkspaceType', 'root', wst('lc1', 't1', ['a'])],
      ['deleteAuthShard', 'beta'],
      ['upsertWorkspaceType', 'beta', wst('lc3', 't2', [])],
      ['deleteWorkspaceType', 'beta', wst('lc3', 't2', [])],
    ],
  },
]

t.test('a copy built from the snapshot at any point, then fed the relayed calls, observes the same as the primary', async (t) => {
  for (const c of cases) {
    const withAuthIndex = c.auth === true
    // The primary's result after every call, with no copy involved.
    const whole = new IndexRecorder({ withAuthIndex })
    for (const op of c.ops) applyRelayOp(whole.index, whole.authIndex, op)
    const want = observe(whole.index, whole.authIndex, paths)
    for (let k = 0; k <= c.ops.length; k++) {
      const primary = new IndexRecorder({ withAuthIndex })
      for (const op of c.ops.slice(0, k)) applyRelayOp(primary.index, primary.authIndex, op)
      const copy = new WorkspaceIndex()
      const copyAuth = withAuthIndex ? new AuthConfigIndex() : undefined
      for (const op of primary.snapshotOps()) applyRelayOp(copy, copyAuth, op)
      t.same(observe(copy, copyAuth, paths), observe(primary.index, primary.authIndex, paths), `${c.name}: snapshot after ${k} calls`)
      const relayed: RelayOp[] = []
      primary.onOp((op) => relayed.push(op))
      for (const op of c.ops.slice(k)) applyRelayOp(primary.index, primary.authIndex, op)
      for (const op of relayed) applyRelayOp(copy, copyAuth, op)
      t.same(observe(copy, copyAuth, paths), want, `${c.name}: snapshot after ${k} calls, then the rest relayed`)
    }
  }
})

t.test('only calls that changed the index are relayed', async (t) => {
  const r = new IndexRecorder({ withAuthIndex: false })
  const relayed: RelayOp[] = []
  r.onOp((op) => relayed.push(op))
  r.index.upsertShard('root', 'https://root.example')
  r.index.upsertShard('root', 'https://root.example')
  r.index.deleteWorkspace('root', ws('nope', 'root', 'x'))
  r.index.upsertWorkspace('root', ws('sched', 'root', 'x', 'Scheduling'))
  t.same(relayed, [['upsertShard', 'root', 'https://root.example']])
})

t.test('auth calls reach a copy only when it has an auth index (both sides share the feature gate)', async (t) => {
  const copy = new WorkspaceIndex()
  t.doesNotThrow(() => applyRelayOp(copy, undefined, ['upsertAuthConfig', 'root', wac('lc1', 'a')]))
  const auth = new AuthConfigIndex()
  applyRelayOp(copy, auth, ['upsertAuthConfig', 'root', wac('lc1', 'a')])
  t.equal(auth.authConfigs().length, 1)
})

t.test('property: for random call sequences and any snapshot point, the copy observes what the primary observes', async (t) => {
  const shard = fc.constantFrom('s1', 's2')
  const cluster = fc.constantFrom('root', 'a', 'b', 'c')
  const name = fc.constantFrom('x', 'y')
  const phase = fc.constantFrom('Ready', 'Unavailable', 'Scheduling')
  const op: fc.Arbitrary<RelayOp> = fc.oneof(
    fc.tuple(shard, fc.constantFrom('https://one.example', 'https://two.example/')).map(([s, u]): RelayOp => ['upsertShard', s, u]),
    shard.map((s): RelayOp => ['deleteShard', s]),
    fc.tuple(shard, cluster, fc.constantFrom('', 'root:universal')).map(([s, c, ty]): RelayOp => ['upsertLogicalCluster', s, lc(c, ty === '' ? undefined : ty)]),
    fc.tuple(shard, cluster).map(([s, c]): RelayOp => ['deleteLogicalCluster', s, lc(c)]),
    fc.tuple(shard, name, cluster, cluster, phase).map(([s, n, p, c, ph]): RelayOp => ['upsertWorkspace', s, ws(n, p, c, ph)]),
    fc.tuple(shard, name, cluster).map(([s, n, p]): RelayOp => ['upsertWorkspace', s, mountWs(n, p, 'https://mount.example/m')]),
    fc.tuple(shard, name, cluster).map(([s, n, p]): RelayOp => ['deleteWorkspace', s, ws(n, p, 'x')]),
  )
  const walk = ['root', 'a', 'b', 'c', 'root:x', 'root:y', 'root:x:x', 'root:x:y', 'a:x', 'a:y', 'b:x', 'c:y', 'root:x:x:x']
  // fast-check shrinks a failing sequence to a minimal one and throws it.
  t.doesNotThrow(() => fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), fc.nat(), (ops, at) => {
      const k = at % (ops.length + 1)
      const primary = new IndexRecorder({ withAuthIndex: false })
      for (const o of ops.slice(0, k)) applyRelayOp(primary.index, undefined, o)
      const copy = new WorkspaceIndex()
      for (const o of primary.snapshotOps()) applyRelayOp(copy, undefined, o)
      primary.onOp((o) => applyRelayOp(copy, undefined, o))
      for (const o of ops.slice(k)) applyRelayOp(primary.index, undefined, o)
      return JSON.stringify(observe(copy, undefined, walk)) === JSON.stringify(observe(primary.index, undefined, walk))
    }),
    { numRuns: 300 },
  ))
})
