import t from 'tap'
import { evaluateReadiness, nextDeadline, type ReadinessState, type ShardReadinessState } from '../../src/controller/readiness.js'

const shard = (name: string, o: Partial<ShardReadinessState> = {}): ShardReadinessState => ({ name, synced: true, startedAt: 0, addedAfterReady: false, ...o })
const base = (o: Partial<ReadinessState> = {}): ReadinessState => ({
  now: 10_000,
  shardSyncTimeoutMs: 30_000,
  identities: { resolved: true },
  shardsList: { synced: true },
  shards: [shard('root'), shard('alpha')],
  ...o,
})

t.test('readiness rule table', async (t) => {
  const cases: { name: string; state: ReadinessState; ready: boolean; failing?: Record<string, RegExp> }[] = [
    { name: 'all synced', state: base(), ready: true },
    { name: 'identities unresolved', state: base({ identities: { resolved: false, message: 'APIExport tenancy.kcp.io is not ready' } }), ready: false, failing: { identities: /tenancy.kcp.io is not ready/ } },
    { name: 'Shards list not synced', state: base({ shardsList: { synced: false, lastError: 'ECONNREFUSED' } }), ready: false, failing: { 'shards-synced': /ECONNREFUSED/ } },
    { name: 'a shard still within its sync timeout blocks', state: base({ shards: [shard('root'), shard('alpha', { synced: false, startedAt: 0 })] }), ready: false, failing: { 'shard:alpha': /waiting for first sync \(10s\)/ } },
    {
      name: 'a shard past its timeout is failing but no longer blocks',
      state: base({ now: 31_000, shards: [shard('root'), shard('alpha', { synced: false, lastError: 'connect ECONNREFUSED' })] }),
      ready: true,
      failing: { 'shard:alpha': /not synced within 30s, not blocking readiness: connect ECONNREFUSED/ },
    },
    { name: 'a shard added at runtime does not block', state: base({ shards: [shard('root'), shard('gamma', { synced: false, startedAt: 9000, addedAfterReady: true })] }), ready: true, failing: { 'shard:gamma': /added at runtime/ } },
    { name: 'no shards at all: ready once the list synced', state: base({ shards: [] }), ready: true },
  ]
  for (const c of cases) {
    const r = evaluateReadiness(c.state)
    t.equal(r.ready, c.ready, c.name)
    const failing = Object.fromEntries(r.checks.filter((x) => !x.ok).map((x) => [x.name, x.message]))
    t.same(Object.keys(failing).sort(), Object.keys(c.failing ?? {}).sort(), `${c.name}: failing checks`)
    for (const [name, re] of Object.entries(c.failing ?? {})) t.match(failing[name], re, `${c.name}: ${name}`)
  }
})

t.test('checks are sorted by shard name and include every shard', async (t) => {
  const r = evaluateReadiness(base({ shards: [shard('zeta'), shard('alpha'), shard('root')] }))
  t.same(r.checks.map((c) => c.name), ['identities', 'shards-synced', 'shard:alpha', 'shard:root', 'shard:zeta'])
})

t.test('nextDeadline is the earliest pending shard timeout', async (t) => {
  t.equal(nextDeadline(base()), undefined)
  t.equal(nextDeadline(base({ shards: [shard('a', { synced: false, startedAt: 5000 }), shard('b', { synced: false, startedAt: 1000 })] })), 31_000)
  t.equal(nextDeadline(base({ shards: [shard('a', { synced: false, startedAt: 5000, addedAfterReady: true })] })), undefined)
})

t.test('discovery through peers: the serving endpoint is named, a failing one never blocks', async (t) => {
  const cases: { name: string; discovery: ReadinessState['discovery']; check: string; ok: boolean; ready: boolean }[] = [
    { name: 'served by a peer', discovery: { servedBy: 'peer-2', ok: true }, check: 'discovery:peer-2', ok: true, ready: true },
    { name: 'every endpoint failing after peer-1 served', discovery: { servedBy: 'peer-1', ok: false, error: 'no discovery endpoint answered (last root: HTTP 503)' }, check: 'discovery:peer-1', ok: false, ready: true },
    { name: 'nothing answered yet', discovery: { servedBy: '', ok: false }, check: 'discovery:none', ok: false, ready: true },
  ]
  for (const c of cases) {
    const r = evaluateReadiness(base({ discovery: c.discovery }))
    const check = r.checks.find((x) => x.name.startsWith('discovery:'))
    t.equal(check?.name, c.check, `${c.name}: name`)
    t.equal(check?.ok, c.ok, `${c.name}: ok`)
    if (!c.ok) t.equal(check?.blocking, false, `${c.name}: not blocking`)
    t.equal(r.ready, c.ready, `${c.name}: ready`)
  }
  t.notOk(evaluateReadiness(base()).checks.some((x) => x.name.startsWith('discovery')), 'no check without peers (root shard only, as before)')
})
