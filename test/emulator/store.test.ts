import t from 'tap'
import { ExpiredError, Store, type KubeObject } from '../../src/emulator/store.js'

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'default' }, data })

t.test('every write takes the next shard-wide RV, across clusters and resources', async (t) => {
  const s = new Store(100, 10)
  const a = s.create('/configmaps', 'c1', cm('a'))
  const b = s.create('/secrets', 'c2', cm('b'))
  const a2 = s.update(a, cm('a', { x: '1' }))
  const gone = s.delete(b)
  t.same([a.rv, b.rv, a2.rv, gone.rv], [11, 12, 13, 14])
  t.equal(a2.obj.metadata.resourceVersion, '13')
  t.equal(gone.obj.metadata.resourceVersion, '14', 'the deleted state carries the delete RV')
  t.equal(s.get('/secrets', 'c2', 'default', 'b'), undefined)
})

t.test('snapshots rebuild older states from history and are sorted by cluster/namespace/name', async (t) => {
  const s = new Store(100, 0)
  const b = s.create('/configmaps', 'c1', cm('b'))
  s.create('/configmaps', 'c1', cm('a'))
  const rv2 = s.rv
  s.update(b, cm('b', { v: '2' }))
  s.create('/configmaps', 'c0', cm('z'))
  s.delete(s.get('/configmaps', 'c1', 'default', 'a')!)
  t.same(s.snapshot('/configmaps', '*', undefined, s.rv).map((o) => o.key), ['c0/default/z', 'c1/default/b'])
  const old = s.snapshot('/configmaps', '*', undefined, rv2)
  t.same(old.map((o) => o.key), ['c1/default/a', 'c1/default/b'])
  t.same(old[1].obj.data, {}, 'the older version of b')
  t.same(s.snapshot('/configmaps', 'c1', 'default', rv2).map((o) => o.name), ['a', 'b'])
})

t.test('the history window bounds resume and snapshots; compact() expires every issued RV', async (t) => {
  const s = new Store(3, 0)
  for (let i = 0; i < 5; i++) s.create('/configmaps', 'c', cm(`n${i}`))
  t.equal(s.rv, 5)
  t.equal(s.eventsSince(2).length, 3)
  t.throws(() => s.eventsSince(1), ExpiredError)
  t.throws(() => s.snapshot('/configmaps', 'c', undefined, 1), ExpiredError)
  s.compact()
  t.throws(() => s.eventsSince(5), ExpiredError, 'even the newest RV handed out is now too old')
  t.same(s.eventsSince(s.rv), [])
})

t.test('listeners see events of their resource only, synchronously', async (t) => {
  const s = new Store()
  const seen: string[] = []
  const off = s.subscribe('/configmaps', (ev) => seen.push(`${ev.type}:${ev.object.name}`))
  const a = s.create('/configmaps', 'c', cm('a'))
  s.create('/secrets', 'c', cm('s'))
  s.delete(a)
  off()
  s.create('/configmaps', 'c', cm('late'))
  t.same(seen, ['ADDED:a', 'DELETED:a'])
})
