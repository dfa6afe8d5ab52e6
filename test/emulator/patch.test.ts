import t from 'tap'
import { jsonPatch, mergePatch, PatchError, strategicMergePatch, type Json } from '../../src/emulator/patch.js'

t.test('merge patch follows RFC 7386', async (t) => {
  const cases: [Json, Json, Json][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ]
  for (const [target, patch, want] of cases) t.same(mergePatch(target, patch), want, JSON.stringify(patch))
})

t.test('strategic merge patch honours $patch directives and drops list-order hints', async (t) => {
  t.same(strategicMergePatch({ data: { a: '1', b: '2' } }, { data: { a: null, c: '3' } }), { data: { b: '2', c: '3' } })
  t.same(strategicMergePatch({ data: { a: '1' } }, { data: { $patch: 'replace', z: '9' } }), { data: { z: '9' } })
  t.same(strategicMergePatch({ data: { a: '1' }, keep: 1 }, { data: { $patch: 'delete' } }), { keep: 1 })
  t.same(strategicMergePatch({ m: { x: 1 } }, { '$setElementOrder/items': [], m: { y: 2 } }), { m: { x: 1, y: 2 } })
})

t.test('JSON patch applies RFC 6902 operations', async (t) => {
  const doc = { metadata: { labels: { a: '1' } }, list: [1, 2, 3] }
  t.same(jsonPatch(doc, [{ op: 'add', path: '/metadata/labels/b', value: '2' }]), { metadata: { labels: { a: '1', b: '2' } }, list: [1, 2, 3] })
  t.same(jsonPatch(doc, [{ op: 'remove', path: '/metadata/labels/a' }]), { metadata: { labels: {} }, list: [1, 2, 3] })
  t.same(jsonPatch(doc, [{ op: 'replace', path: '/list/0', value: 9 }]), { metadata: { labels: { a: '1' } }, list: [9, 2, 3] })
  t.same(jsonPatch(doc, [{ op: 'add', path: '/list/-', value: 4 }]), { metadata: { labels: { a: '1' } }, list: [1, 2, 3, 4] })
  t.same(jsonPatch(doc, [{ op: 'add', path: '/list/1', value: 7 }]), { metadata: { labels: { a: '1' } }, list: [1, 7, 2, 3] })
  t.same(jsonPatch(doc, [{ op: 'move', from: '/metadata/labels/a', path: '/x' }]), { metadata: { labels: {} }, list: [1, 2, 3], x: '1' })
  t.same(jsonPatch(doc, [{ op: 'copy', from: '/list', path: '/copy' }]), { ...doc, copy: [1, 2, 3] })
  t.same(jsonPatch(doc, [{ op: 'test', path: '/list/2', value: 3 }]), doc)
  t.same(jsonPatch({ 'a/b': { '~c': 1 } }, [{ op: 'replace', path: '/a~1b/~0c', value: 2 }]), { 'a/b': { '~c': 2 } })
  t.same(doc, { metadata: { labels: { a: '1' } }, list: [1, 2, 3] }, 'the input is not mutated')
})

t.test('JSON patch failures are PatchErrors with the apiserver status class', async (t) => {
  const doc = { a: { b: 1 }, l: [1] }
  const bad: [Json, number][] = [
    [[{ op: 'test', path: '/a/b', value: 2 }], 422],
    [[{ op: 'remove', path: '/missing' }], 422],
    [[{ op: 'replace', path: '/missing', value: 1 }], 422],
    [[{ op: 'add', path: '/x/y', value: 1 }], 422],
    [[{ op: 'add', path: '/l/5', value: 1 }], 422],
    [[{ op: 'nope', path: '/a' }], 400],
    [[{ op: 'add', path: 'no-slash', value: 1 }], 400],
    [{ op: 'add' }, 400],
  ]
  for (const [ops, code] of bad) {
    try {
      jsonPatch(doc, ops)
      t.fail(`no error for ${JSON.stringify(ops)}`)
    } catch (e) {
      t.ok(e instanceof PatchError, JSON.stringify(ops))
      t.equal((e as PatchError).code, code, JSON.stringify(ops))
    }
  }
})
