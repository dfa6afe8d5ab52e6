// Property test: random event sequences against a small reference model of the
// index semantics (docs/index.md). The model keeps the latest routable record per
// (shard, parent, workspace name) and resolves paths the slow, obvious way.
import t from 'tap'
import fc from 'fast-check'
import { WorkspaceIndex, homeClusterName, type LookupResult } from '../../src/index/index.js'
import { newLogicalCluster, newWorkspace } from './fixtures/objects.js'
import type { WorkspaceObject } from '../../src/index/types.js'

const SHARDS = ['s1', 's2', 's3']
const HOME = homeClusterName('alice')
const CLUSTERS = ['root', 'a', 'b', 'c', HOME]
const NAMES = ['x', 'y']
const TYPES = ['', 'root:universal', 'root:org']
const PHASES = ['Ready', 'Initializing', 'Unavailable', 'Scheduling', 'Terminating']
const MOUNT_URLS = ['', 'https://mount.example/a', 'not a url']

interface WsRecord { shard: string; parent: string; name: string; child: string; mountURL: string; unavailable: boolean }

class Model {
  shards = new Map<string, string>()
  clusters = new Map<string, { shard: string; type: string }>()
  workspaces = new Map<string, WsRecord>()

  upsertWorkspace(shard: string, parent: string, name: string, child: string, mount: string, phase: string): void {
    if (phase === 'Scheduling') return
    const key = `${shard}/${parent}/${name}`
    const mountURL = mount !== '' && URL.canParse(mount) ? mount : ''
    if (child === '' && mountURL === '') this.workspaces.delete(key)
    else this.workspaces.set(key, { shard, parent, name, child, mountURL, unavailable: phase === 'Unavailable' })
  }

  deleteLogicalCluster(shard: string, name: string): void {
    if (this.clusters.get(name)?.shard !== shard) return
    this.clusters.delete(name)
    for (const [k, w] of this.workspaces) if (w.parent === name || w.child === name) this.workspaces.delete(k)
  }

  deleteShard(shard: string): void {
    this.shards.delete(shard)
    for (const [k, c] of this.clusters) if (c.shard === shard) this.clusters.delete(k)
    for (const [k, w] of this.workspaces) if (w.shard === shard) this.workspaces.delete(k)
  }

  lookup(path: string): LookupResult | undefined {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(path)) return undefined
    let segs = path.split(':')
    if (segs[0] === 'user' && segs.length > 1) segs = [homeClusterName(segs[1]), ...segs.slice(2)]
    let cluster = segs[0]
    let shard = this.clusters.get(cluster)?.shard
    if (shard === undefined) return undefined
    let errorCode = 0
    for (const s of segs.slice(1)) {
      const w = this.workspaces.get(`${shard}/${cluster}/${s}`)
      if (w === undefined) return undefined
      if (w.unavailable) errorCode = 503
      if (w.child === '') return { shard: '', cluster: '', type: '', url: w.mountURL, errorCode }
      cluster = w.child
      shard = this.clusters.get(cluster)?.shard
      if (shard === undefined) return undefined
    }
    return { shard, cluster, type: this.clusters.get(cluster)!.type, url: '', errorCode }
  }

  lookupURL(path: string): LookupResult | undefined {
    const r = this.lookup(path)
    if (r === undefined || r.errorCode !== 0 || r.url !== '') return r
    const base = this.shards.get(r.shard)
    if (base === undefined) return undefined
    return { ...r, url: `${base.replace(/\/$/, '')}/clusters/${r.cluster}` }
  }

  indexedCounts(): Map<string, number> {
    const counts = new Map<string, number>()
    const known = new Set([...this.shards.keys(), ...[...this.clusters.values()].map((c) => c.shard), ...[...this.workspaces.values()].map((w) => w.shard)])
    for (const s of known) counts.set(s, [...this.workspaces.values()].filter((w) => w.shard === s && w.child !== '').length)
    return counts
  }

  /** Canonical dump: equal dumps ⇔ equal state (drives the generation check). */
  dump(): string {
    const sorted = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1))
    return JSON.stringify([sorted(this.shards), sorted(this.clusters), sorted(this.workspaces)])
  }
}

type Cmd =
  | { op: 'upsertShard'; shard: string; url: string }
  | { op: 'deleteShard'; shard: string }
  | { op: 'upsertLC'; shard: string; name: string; type: string }
  | { op: 'deleteLC'; shard: string; name: string }
  | { op: 'upsertWS'; shard: string; parent: string; name: string; child: string; mount: string; phase: string }
  | { op: 'deleteWS'; shard: string; parent: string; name: string; child: string }

const shard = fc.constantFrom(...SHARDS)
const cluster = fc.constantFrom(...CLUSTERS)
const name = fc.constantFrom(...NAMES)
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ op: fc.constant('upsertShard' as const), shard, url: fc.constantFrom('https://one.io', 'https://two.io/') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteShard' as const), shard }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('upsertLC' as const), shard, name: cluster, type: fc.constantFrom(...TYPES) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteLC' as const), shard, name: cluster }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('upsertWS' as const), shard, parent: cluster, name,
      child: fc.constantFrom('', ...CLUSTERS), mount: fc.constantFrom(...MOUNT_URLS), phase: fc.constantFrom(...PHASES),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteWS' as const), shard, parent: cluster, name, child: cluster }) },
)

function workspace(parent: string, wsName: string, child: string, mount: string, phase: string): WorkspaceObject {
  const ws = newWorkspace(wsName, parent, child, phase)
  if (mount !== '') {
    ws.spec!.mount = { ref: { apiVersion: 'proxy.kcp.dev/v1alpha1', kind: 'KubeCluster', name: 'm' } }
    ws.spec!.URL = mount
  }
  return ws
}

function apply(index: WorkspaceIndex, model: Model, c: Cmd): void {
  switch (c.op) {
    case 'upsertShard': index.upsertShard(c.shard, c.url); model.shards.set(c.shard, c.url); break
    case 'deleteShard': index.deleteShard(c.shard); model.deleteShard(c.shard); break
    case 'upsertLC': index.upsertLogicalCluster(c.shard, newLogicalCluster(c.name, c.type || undefined)); model.clusters.set(c.name, { shard: c.shard, type: c.type }); break
    case 'deleteLC': index.deleteLogicalCluster(c.shard, newLogicalCluster(c.name)); model.deleteLogicalCluster(c.shard, c.name); break
    case 'upsertWS':
      index.upsertWorkspace(c.shard, workspace(c.parent, c.name, c.child, c.mount, c.phase))
      model.upsertWorkspace(c.shard, c.parent, c.name, c.child, c.mount, c.phase)
      break
    case 'deleteWS': // the delete event may carry a stale spec.cluster: only parent + name identify it
      index.deleteWorkspace(c.shard, newWorkspace(c.name, c.parent, c.child))
      model.workspaces.delete(`${c.shard}/${c.parent}/${c.name}`)
      break
  }
}

// Every path of depth ≤ 3 over the universe, plus user paths and invalid ones.
const PATHS: string[] = ['user:alice', 'user:alice:x', 'user:alice:y:x', 'user', '*', 'Root', 'root:', '']
for (const first of CLUSTERS) {
  PATHS.push(first)
  for (const n1 of NAMES) {
    PATHS.push(`${first}:${n1}`)
    for (const n2 of NAMES) {
      PATHS.push(`${first}:${n1}:${n2}`)
      for (const n3 of NAMES) PATHS.push(`${first}:${n1}:${n2}:${n3}`)
    }
  }
}

t.test('random event sequences: lookups, URLs, counts and generation match the reference model; deleting all leaves nothing', async (t) => {
  let checkedSteps = 0
  let deepHits = 0 // resolved lookups that walked ≥ 2 workspaces: the test exercises real walks
  fc.assert(
    fc.property(fc.array(cmd, { minLength: 10, maxLength: 60, size: 'max' }), fc.boolean(), (cmds, viaShards) => {
      const index = new WorkspaceIndex()
      const model = new Model()
      for (const c of cmds) {
        const before = model.dump()
        const gen = index.generation
        apply(index, model, c)
        const changed = model.dump() !== before
        if (index.generation !== gen + (changed ? 1 : 0)) throw new Error(`generation after ${JSON.stringify(c)}: ${gen} → ${index.generation}, changed=${changed}`)
        for (const p of PATHS) {
          const got = index.lookupURL(p)
          const want = model.lookupURL(p)
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            throw new Error(`lookupURL(${p}) after ${JSON.stringify(c)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
          }
          if (JSON.stringify(index.lookup(p)) !== JSON.stringify(model.lookup(p))) throw new Error(`lookup(${p}) differs after ${JSON.stringify(c)}`)
          if (want !== undefined && p.split(':').length >= 3 && !p.startsWith('user')) deepHits++
        }
        const counts = JSON.stringify([...index.indexedCounts()].sort())
        if (counts !== JSON.stringify([...model.indexedCounts()].sort())) throw new Error(`indexedCounts ${counts} after ${JSON.stringify(c)}`)
        checkedSteps++
      }
      // Delete everything: either shard by shard, or object by object (then shards).
      if (!viaShards) {
        for (const w of [...model.workspaces.values()]) index.deleteWorkspace(w.shard, newWorkspace(w.name, w.parent, w.child))
        for (const [n, c] of [...model.clusters]) index.deleteLogicalCluster(c.shard, newLogicalCluster(n))
      }
      for (const s of SHARDS) index.deleteShard(s)
      const sizes = index.debugSizes()
      if (sizes.clusters + sizes.shards + sizes.workspaces + sizes.types + sizes.memo !== 0) throw new Error(`leak: ${JSON.stringify(sizes)}`)
    }),
    { numRuns: 120 },
  )
  t.ok(checkedSteps > 2000, `checked ${checkedSteps} steps`)
  t.ok(deepHits > 100, `${deepHits} lookups resolved through ≥ 2 workspaces`)
})
