// The upstream authentication families: exact names, help texts, labels and buckets, the username
// compression, and the token cache's hit/miss/fetch/active statistics as Kubernetes counts them.
import t from 'tap'
import { Registry } from 'prom-client'
import { TokenCache } from '../../src/auth/cache.js'
import { authMetrics, compressUsername, NO_CREDENTIAL_ACCEPTED } from '../../src/auth/metrics.js'

const user = { name: 'u', groups: [], extra: {} }

t.test('compressUsername keeps the well-known identities only', async (t) => {
  for (const n of ['admin', 'client', 'kube_proxy', 'kubelet', 'system:serviceaccount:kube-system:default']) t.equal(compressUsername(n), n)
  t.equal(compressUsername('alice@example.com'), 'email_id')
  for (const n of ['alice', 'system:serviceaccount:default:robot', 'system:kube-scheduler', 'Admin', '']) t.equal(compressUsername(n), 'other', JSON.stringify(n))
})

t.test('decisions: success/failure/error attempts and durations, users by compressed name; anonymous is no attempt', async (t) => {
  const registry = new Registry()
  const m = authMetrics(registry)
  m.decision({ kind: 'user', user: { ...user, name: 'admin' }, method: 'x509' }, 0.0015)
  m.decision({ kind: 'user', user: { ...user, name: 'bob' }, method: 'token-file' }, 0.002)
  m.decision({ kind: 'unauthorized', reason: NO_CREDENTIAL_ACCEPTED }, 0.001)
  m.decision({ kind: 'unauthorized', reason: 'bearer: invalid bearer token' }, 0.001)
  m.decision({ kind: 'anonymous' }, 0)
  const attempts = await registry.getSingleMetricAsString('authentication_attempts')
  t.equal(attempts, '# HELP authentication_attempts [ALPHA] Counter of authenticated attempts.\n# TYPE authentication_attempts counter\nauthentication_attempts{result="success"} 2\nauthentication_attempts{result="failure"} 1\nauthentication_attempts{result="error"} 1')
  const users = await registry.getSingleMetricAsString('authenticated_user_requests')
  t.match(users, '# HELP authenticated_user_requests [ALPHA] Counter of authenticated requests broken out by username.\n# TYPE authenticated_user_requests counter')
  t.match(users, 'authenticated_user_requests{username="admin"} 1')
  t.match(users, 'authenticated_user_requests{username="other"} 1')
  const duration = await registry.getSingleMetricAsString('authentication_duration_seconds')
  t.match(duration, '# HELP authentication_duration_seconds [ALPHA] Authentication duration in seconds broken out by result.\n# TYPE authentication_duration_seconds histogram')
  const buckets = [...duration.matchAll(/authentication_duration_seconds_bucket\{le="([^"]+)",result="success"\}/g)].map((x) => x[1])
  t.same(buckets, ['0.001', '0.002', '0.004', '0.008', '0.016', '0.032', '0.064', '0.128', '0.256', '0.512', '1.024', '2.048', '4.096', '8.192', '16.384', '+Inf'], 'ExponentialBuckets(0.001, 2, 15)')
  t.match(duration, 'authentication_duration_seconds_bucket{le="0.002",result="success"} 2')
  t.match(await registry.getSingleMetricAsString('kcp_front_proxy_authentication_total'), 'kcp_front_proxy_authentication_total{method="none",result="anonymous"} 1')
})

t.test('token cache: hits and misses, one fetch per concurrent miss, blocked and in-flight gauges back at 0', async (t) => {
  const registry = new Registry()
  const m = authMetrics(registry)
  const cache = new TokenCache({ stats: m.tokenCache })
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const waiting = [cache.get('tok', async () => (await gate, { user, method: 'm' })), cache.get('tok', async () => ({ user, method: 'm' }))]
  const active = await registry.getSingleMetricAsString('authentication_token_cache_active_fetch_count')
  t.match(active, 'authentication_token_cache_active_fetch_count{status="blocked"} 2', 'both callers wait')
  t.match(active, 'authentication_token_cache_active_fetch_count{status="in_flight"} 1', 'for one verification')
  release()
  await Promise.all(waiting)
  t.ok(cache.peek('tok'), 'a synchronous hit')
  await cache.get('tok', async () => null)
  await t.rejects(cache.get('bad', async () => { throw new Error('invalid') }))
  await cache.get('unknown', async () => null)
  t.equal(await registry.getSingleMetricAsString('authentication_token_cache_request_total'),
    '# HELP authentication_token_cache_request_total [ALPHA] \n# TYPE authentication_token_cache_request_total counter\nauthentication_token_cache_request_total{status="miss"} 4\nauthentication_token_cache_request_total{status="hit"} 2')
  t.equal(await registry.getSingleMetricAsString('authentication_token_cache_fetch_total'),
    '# HELP authentication_token_cache_fetch_total [ALPHA] \n# TYPE authentication_token_cache_fetch_total counter\nauthentication_token_cache_fetch_total{status="ok"} 2\nauthentication_token_cache_fetch_total{status="error"} 1',
    'an unrecognised token is a fetch without error, as upstream')
  const after = await registry.getSingleMetricAsString('authentication_token_cache_active_fetch_count')
  t.match(after, 'authentication_token_cache_active_fetch_count{status="blocked"} 0')
  t.match(after, 'authentication_token_cache_active_fetch_count{status="in_flight"} 0')
  const latency = await registry.getSingleMetricAsString('authentication_token_cache_request_duration_seconds')
  t.match(latency, /authentication_token_cache_request_duration_seconds_bucket\{le="0.005",status="hit"\} 2/)
  t.match(latency, /le="10",status="miss"\} 4/, 'prometheus.DefBuckets up to 10 s')
})

t.test('a second authMetrics on the same registry reuses the families', async (t) => {
  const registry = new Registry()
  authMetrics(registry).decision({ kind: 'user', user, method: 'x' }, 0)
  authMetrics(registry).decision({ kind: 'user', user, method: 'x' }, 0)
  t.match(await registry.getSingleMetricAsString('authentication_attempts'), 'authentication_attempts{result="success"} 2')
})
