// WACs naming the same identity provider share one key set: one discovery and JWKS fetch, a
// second WAC usable at once, the keys kept while any WAC still holds them; another CA is another set.
import t from 'tap'
import { pino } from 'pino'
import { SharedIssuerKeys } from '../../../src/auth/workspace/shared-keys.js'
import { tempDir, TestIssuer } from '../fixtures.js'
import { bearer, decide, jwtFor, setup } from './fixtures.js'

t.test('two WACs for one issuer fetch its keys once and both accept its tokens', async (t) => {
  const iss = await TestIssuer.start(t, tempDir(t))
  const s = await setup(t)
  s.putWAC('first', [jwtFor(iss)])
  s.putWAC('second', [jwtFor(iss, {}, 'second:')])
  const one = s.putType('one', ['first'])
  const two = s.putType('two', ['second'])
  await s.workspace.settled()
  const token = await iss.token({ email: 'dev@example.com' })
  t.equal((await decide(s, one, 'lc1', bearer(token)))?.kind === 'user', true)
  t.match(await decide(s, two, 'lc2', bearer(token)), { kind: 'user', user: { name: 'second:dev@example.com' } })
  t.equal(iss.jwksFetches, 1, 'one JWKS fetch for both WACs')

  s.index.deleteAuthConfig('s1', { metadata: { name: 'first', annotations: { 'kcp.io/cluster': 'orglc' } } })
  t.match(await decide(s, two, 'lc2', bearer(await iss.token({ email: 'other@example.com' }))), { kind: 'user', user: { name: 'second:other@example.com' } }, 'the remaining WAC still verifies after the other is deleted')
  t.equal(iss.jwksFetches, 1, 'without fetching again')
})

t.test('key sets are shared by issuer, discovery URL and CA, and closed by their last holder', async (t) => {
  const dir = tempDir(t)
  const [a, b] = await Promise.all([TestIssuer.start(t, dir), TestIssuer.start(t, dir)])
  const shared = new SharedIssuerKeys({ logger: pino({ level: 'silent' }) })
  const l1 = shared.acquire({ issuer: a.url, discoveryURL: '', ca: a.ca.cert })
  const l2 = shared.acquire({ issuer: a.url, discoveryURL: '', ca: a.ca.cert })
  const otherCA = shared.acquire({ issuer: a.url, discoveryURL: '', ca: b.ca.cert })
  const otherDiscovery = shared.acquire({ issuer: a.url, discoveryURL: `${a.url}/.well-known/openid-configuration`, ca: a.ca.cert })
  t.equal(l1.keys, l2.keys, 'same issuer, discovery and CA: one key set')
  t.not(otherCA.keys, l1.keys, 'another CA: its own key set (keys fetched over other roots are never trusted)')
  t.not(otherDiscovery.keys, l1.keys, 'another discovery URL: its own key set')
  t.equal(shared.size, 3)
  await l1.release()
  await l1.release()
  t.equal(shared.size, 3, 'released twice by one holder still counts once')
  await l2.release()
  t.equal(shared.size, 2, 'the last holder closes it')
  const again = shared.acquire({ issuer: a.url, discoveryURL: '', ca: a.ca.cert })
  t.not(again.keys, l1.keys, 'acquired after closing: a fresh set')
  await Promise.all([again.release(), otherCA.release(), otherDiscovery.release()])
  t.equal(shared.size, 0)
})
