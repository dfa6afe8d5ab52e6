import t from 'tap'
import { createHash } from 'node:crypto'
import { tokenKey, TokenCache, type VerifiedToken } from '../../src/auth/cache.js'

const user = { name: 'u', groups: ['g'], extra: {} }
const ok = (extra: Partial<VerifiedToken> = {}): VerifiedToken => ({ user, method: 'test', ...extra })

t.test('successes are cached under a keyed hash, never the raw token nor its plain hash', async (t) => {
  const c = new TokenCache()
  const token = 'secret-token-value'
  let calls = 0
  await c.get(token, async () => (calls++, ok()))
  await c.get(token, async () => (calls++, ok()))
  t.equal(calls, 1)
  t.same(c.keys(), [c.keyOf(token)])
  t.notOk(c.keys().some((k) => k.includes(token)), 'raw token not a key')
  t.equal(new TokenCache().keyOf(token), c.keyOf(token), 'one keying per process: a request is hashed once for every cache (the secret is random per process)')
  t.equal(tokenKey(token), c.keyOf(token))
  t.not(c.keyOf(token), createHash('sha256').update(token).digest('base64url'), 'not the plain SHA-256 an attacker could precompute')
})

t.test('N concurrent verifications of one token run the verifier once (singleflight)', async (t) => {
  const c = new TokenCache()
  let calls = 0
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const all = Array.from({ length: 50 }, () =>
    c.get('tok', async () => {
      calls++
      await gate
      return ok()
    }),
  )
  release()
  const results = await Promise.all(all)
  t.equal(calls, 1)
  t.ok(results.every((r) => r?.user.name === 'u'))
})

t.test('failures and unrecognised tokens are not cached; concurrent failures share one error', async (t) => {
  const c = new TokenCache()
  let calls = 0
  const fail = async () => {
    calls++
    await new Promise((r) => setImmediate(r))
    throw new Error('bad')
  }
  const rs = await Promise.allSettled([c.get('x', fail), c.get('x', fail)])
  t.equal(calls, 1)
  t.ok(rs.every((r) => r.status === 'rejected'))
  await t.rejects(c.get('x', fail))
  t.equal(calls, 2, 'retried after failure')
  t.equal(await c.get('y', async () => null), null)
  t.equal(c.size, 0)
})

t.test('TTL is the smaller of the success TTL and the token expiry', async (t) => {
  let now = 1_000_000
  const c = new TokenCache({ ttlMs: 10_000, now: () => now })
  let calls = 0
  await c.get('a', async () => (calls++, ok({ expiresAt: now + 2_000 })))
  now += 2_500
  await c.get('a', async () => (calls++, ok({ expiresAt: now + 60_000 })))
  t.equal(calls, 2, 'expired token entry not served')
  await c.get('b', async () => (calls++, ok({ expiresAt: now - 1 })))
  t.equal(c.keys().includes(c.keyOf('b')), false, 'already expired result not stored')
})

t.test('the cache is bounded', async (t) => {
  const c = new TokenCache({ max: 3 })
  for (let i = 0; i < 10; i++) await c.get(`t${i}`, async () => ok())
  t.equal(c.size, 3)
})
