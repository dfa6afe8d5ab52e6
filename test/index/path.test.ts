import t from 'tap'
import fc from 'fast-check'
import { CLUSTER_PATH_PATTERN, isValidClusterPath } from '../../src/index/path.js'

const seg63 = 'a'.repeat(63)

t.test('isValidClusterPath accepts the logical-cluster path grammar', async (t) => {
  const valid = ['root', 'root:org', 'root:org:team', 'a', '0', 'a-b', 'a--b', '36ks9xj4a2n61', 'user:alice:ws', seg63, `${seg63}:${seg63}`, 'a1:b2-c3']
  for (const p of valid) t.equal(isValidClusterPath(p), true, p)
})

t.test('isValidClusterPath rejects everything else, including the wildcard', async (t) => {
  const invalid = [
    '', '*', ':', 'root:', ':root', 'root::org', '-a', 'a-', 'root:-org', 'root:org-', 'Root', 'root:Org',
    'a_b', 'a.b', 'a b', 'root/org', 'root:org\n', 'user:alice@example.com', 'é', `${seg63}a`, `root:${seg63}a`, 'system:*',
  ]
  for (const p of invalid) t.equal(isValidClusterPath(p), false, JSON.stringify(p))
})

t.test('isValidClusterPath agrees with the upstream regex on arbitrary input', async (t) => {
  // Biased alphabet so that valid paths and near-misses are both common.
  const ch = fc.constantFrom('a', 'z', '0', '9', '-', ':', 'A', '_', '*', '.', '\n')
  const seg = fc.oneof(fc.string({ unit: ch, maxLength: 8 }), fc.constant(seg63), fc.constant(`${seg63}b`))
  const path = fc.oneof(fc.array(seg, { maxLength: 4 }).map((s) => s.join(':')), fc.string({ maxLength: 20 }))
  fc.assert(
    fc.property(path, (p) => isValidClusterPath(p) === CLUSTER_PATH_PATTERN.test(p)),
    { numRuns: 20000 },
  )
  t.pass('no counterexample in 20000 runs')
})
