// Fair queuing through the whole proxy: real TLS clients, the proxy, and an HTTPS shard that
// holds requests until the test lets them go, so the order in which the shard sees them is the
// order in which the gate let them through (no timings are measured).
import type { ServerResponse } from 'node:http'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import type { AuthDecision, AuthRequest } from '../../src/auth/types.js'
import { eventually } from '../fixtures/eventually.js'
import { h1, type Answer } from './fixtures/client.js'
import { startBackend, startProxy, twoShardIndex, type ProxyEnv } from './fixtures/env.js'

/** The user is the X-Test-User header, with the groups of X-Test-Groups; none: not authenticated here. */
async function byHeader(r: AuthRequest): Promise<AuthDecision> {
  const name = r.headers['x-test-user']
  if (typeof name !== 'string') return { kind: 'anonymous' }
  const groups = typeof r.headers['x-test-groups'] === 'string' ? r.headers['x-test-groups'].split(',') : []
  return { kind: 'user', method: 'test', user: { name, groups, extra: {} } }
}

interface Shard {
  /** Users of the requests the shard received, in order. */
  arrivals: string[]
  /** Answers the oldest held request. */
  releaseOne(): void
  /** Answers every held request and every later one at once. */
  releaseAll(): void
}

/** A shard that holds every request of the users in `hold` until released and answers the rest at once. */
async function holdingShard(t: Test, hold: readonly string[]): Promise<{ url: string; shard: Shard }> {
  const backend = await startBackend(t)
  const held: ServerResponse[] = []
  let holding = true
  const shard: Shard = {
    arrivals: [],
    releaseOne: () => held.shift()?.end('{}'),
    releaseAll: () => {
      holding = false
      for (let r = held.shift(); r !== undefined; r = held.shift()) r.end('{}')
    },
  }
  backend.handler = (req, res) => {
    const user = String(req.headers['x-remote-user'] ?? '')
    shard.arrivals.push(user)
    res.writeHead(200, { 'content-type': 'application/json' })
    if (holding && hold.includes(user)) held.push(res)
    else res.end('{}')
  }
  // Held requests would keep the shard's server from closing: answer them before it closes.
  t.teardown(() => shard.releaseAll())
  return { url: backend.url, shard }
}

async function proxyTo(t: Test, url: string, extra: Record<string, unknown>, entries?: { path: string; backend: string }[]): Promise<ProxyEnv> {
  return startProxy(t, {
    entries: entries ?? [{ path: '/clusters/', backend: url }],
    index: twoShardIndex(url, url),
    authentication: { authenticate: byHeader },
    input: { extra },
  })
}

const get = (env: ProxyEnv, user: string, groups = ''): Promise<Answer> =>
  h1(`${env.proxy.url}/clusters/root/api/v1/namespaces`, env.ca, { headers: { 'x-test-user': user, ...(groups ? { 'x-test-groups': groups } : {}) } })

async function queued(env: ProxyEnv, shard = 'root'): Promise<number> {
  const text = await env.proxy.registry.getSingleMetricAsString('kcp_front_proxy_flowcontrol_current_inqueue_requests')
  return Number(new RegExp(`shard="${shard}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
}

t.test('a noisy tenant with a backlog of slow requests cannot starve a quiet one: at most one of its queued requests goes first', async (t) => {
  const { url, shard } = await holdingShard(t, ['bob'])
  const env = await proxyTo(t, url, { backendMaxConnections: 2 })
  const noisy = Array.from({ length: 12 }, () => get(env, 'bob'))
  await eventually('two noisy requests at the shard, ten queued', async () => shard.arrivals.length === 2 && (await queued(env)) === 10)
  const quiet = get(env, 'alice')
  await eventually('the quiet request queued', async () => (await queued(env)) === 11)
  for (let n = 3; n <= 4; n++) {
    shard.releaseOne()
    // alice is answered at once, so her connection may let the next bob in before this looks.
    await eventually(`request ${n} at the shard`, () => shard.arrivals.length >= n)
  }
  t.same(shard.arrivals.slice(0, 4), ['bob', 'bob', 'bob', 'alice'], 'the quiet request is the second let through, not the eleventh')
  t.equal((await quiet).status, 200)
  shard.releaseAll()
  t.same((await Promise.all(noisy)).map((a) => a.status), Array(12).fill(200), 'the noisy tenant is served too, only later')
})

t.test('one tenant alone may fill the whole queue: however low --fair-queuing-queue-length, no 429 before --backend-queue-size', async (t) => {
  const { url, shard } = await holdingShard(t, ['bob'])
  const env = await proxyTo(t, url, { backendMaxConnections: 1, backendQueueSize: 3, fairQueuingQueueLength: 1 })
  const bulk = Array.from({ length: 4 }, () => get(env, 'bob'))
  await eventually('one at the shard, three queued', async () => shard.arrivals.length === 1 && (await queued(env)) === 3)
  const refused = await get(env, 'bob')
  t.equal(refused.status, 429, 'the queue is full')
  shard.releaseAll()
  t.same((await Promise.all(bulk)).map((a) => a.status), Array(4).fill(200), 'every request that found room was served')
})

t.test("attack: a tenant that fills the whole queue cannot keep another out: the newest request of the longest backlog gets 429 with Retry-After, and that tenant's next too", async (t) => {
  const { url, shard } = await holdingShard(t, ['bob'])
  const env = await proxyTo(t, url, { backendMaxConnections: 1, backendQueueSize: 2, fairQueuingQueueLength: 2 })
  const first = [get(env, 'bob'), get(env, 'bob'), get(env, 'bob')]
  await eventually('one at the shard, two queued: full', async () => shard.arrivals.length === 1 && (await queued(env)) === 2)
  const quiet = get(env, 'alice')
  const refused = await Promise.race(first.map(async (p) => { const a = await p; if (a.status !== 429) await new Promise(() => undefined); return a }))
  t.equal(refused.headers['retry-after'], '1')
  t.match(JSON.parse(refused.body), { kind: 'Status', reason: 'TooManyRequests', code: 429 })
  t.equal(await queued(env), 2, "alice waits in bob's place")
  t.equal((await get(env, 'bob')).status, 429, 'bob, now no longer than alice by two, is refused himself')
  shard.releaseAll()
  t.equal((await quiet).status, 200)
  t.same((await Promise.all(first)).map((a) => a.status).sort(), [200, 200, 429])
  const rejected = await env.proxy.registry.getSingleMetricAsString('kcp_front_proxy_flowcontrol_rejected_requests_total')
  t.match(rejected, /shard="root",reason="flow-queue-full"\} 1/)
  t.match(rejected, /shard="root",reason="queue-full"\} 1/)
})

t.test('system:masters and shard health checks bypass a full queue, and are counted', async (t) => {
  const { url, shard } = await holdingShard(t, ['bob'])
  const env = await proxyTo(t, url, { backendMaxConnections: 1, backendQueueSize: 1, fairQueuingQueueLength: 1 }, [
    { path: '/clusters/', backend: url },
    { path: '/', backend: url },
  ])
  const noisy = [get(env, 'bob'), get(env, 'bob')]
  await eventually('the connection busy, one queued', async () => shard.arrivals.length === 1 && (await queued(env)) === 1)
  const admin = await get(env, 'admin', 'system:authenticated,system:masters')
  t.equal(admin.status, 200, 'system:masters is answered while the only connection is held')
  t.equal((await get(env, 'bob')).status, 429, 'where bob is refused')
  const health = await h1(`${env.proxy.url}/readyz`, env.ca)
  t.equal(health.status, 200, "the shard's /readyz is answered too")
  t.equal(await queued(env), 1, 'neither waited in the queue')
  const waits = await env.proxy.registry.getSingleMetricAsString('kcp_front_proxy_flowcontrol_current_executing_requests')
  t.match(waits, /shard="root",class="fair"\} 1/)
  shard.releaseAll()
  t.same((await Promise.all(noisy)).map((a) => a.status), [200, 200])
})

t.test("a mapping entry's fair_queuing_queue_length reloads with the file: new requests get the new bound, queued ones are kept", async (t) => {
  const { url, shard } = await holdingShard(t, ['bob', 'alice'])
  const env = await proxyTo(t, url, { backendMaxConnections: 1, backendQueueSize: 4, fairQueuingQueueLength: 1 })
  const bob = Array.from({ length: 5 }, () => get(env, 'bob'))
  await eventually('one at the shard, four queued: full', async () => shard.arrivals.length === 1 && (await queued(env)) === 4)
  const alice = [get(env, 'alice')]
  await eventually("alice's first in one of bob's places", async () => (await env.proxy.registry.getSingleMetricAsString('kcp_front_proxy_flowcontrol_rejected_requests_total')).includes('flow-queue-full"} 1'))
  t.equal((await get(env, 'alice')).status, 429, 'her second is past the bound of 1')
  const next = env.mappingFile + '.next'
  writeFileSync(next, readFileSync(env.mappingFile, 'utf8') + '  fair_queuing_queue_length: 2\n')
  renameSync(next, env.mappingFile)
  await eventually('the mapping file reloaded', () => env.logs.text().includes('mapping file reloaded'))
  alice.push(get(env, 'alice'))
  await eventually('under the new bound of 2 it takes another of bob\'s places', async () => (await env.proxy.registry.getSingleMetricAsString('kcp_front_proxy_flowcontrol_rejected_requests_total')).includes('flow-queue-full"} 3'))
  t.equal(await queued(env), 4)
  shard.releaseAll()
  t.same((await Promise.all(alice)).map((a) => a.status), [200, 200])
  t.same((await Promise.all(bob)).map((a) => a.status).sort(), [200, 200, 200, 429, 429], 'of bob\'s queued requests, only the two whose places alice took were refused')
})

t.test('with --enable-fair-queuing=false the queue is one FIFO: the quiet tenant waits behind the backlog', async (t) => {
  const { url, shard } = await holdingShard(t, ['bob'])
  const env = await proxyTo(t, url, { backendMaxConnections: 1, enableFairQueuing: false })
  const noisy = [get(env, 'bob'), get(env, 'bob'), get(env, 'bob')]
  await eventually('one at the shard, two queued', async () => shard.arrivals.length === 1 && (await queued(env)) === 2)
  const quiet = get(env, 'alice')
  await eventually('the quiet request queued', async () => (await queued(env)) === 3)
  for (let n = 2; n <= 4; n++) {
    shard.releaseOne()
    await eventually(`request ${n} at the shard`, () => shard.arrivals.length >= n)
  }
  t.same(shard.arrivals.slice(0, 4), ['bob', 'bob', 'bob', 'alice'])
  shard.releaseAll()
  t.equal((await quiet).status, 200)
  await Promise.all(noisy)
})

t.test('attack: a flood of shard health checks (/healthz through a / mapping, no credential) opens no connections beyond --backend-max-connections', async (t) => {
  // Health checks are a flow of their own, not exempt: an exempt request would use the shard's
  // unlimited connections, and anyone may send GET /healthz.
  const { url, shard } = await holdingShard(t, [''])
  const env = await proxyTo(t, url, { backendMaxConnections: 2, backendProtocol: 'http1' }, [{ path: '/', backend: url }])
  const flood = Array.from({ length: 10 }, () => h1(`${env.proxy.url}/healthz`, env.ca))
  // A mapping outside /clusters/ names no shard: its gate's series is labelled with the backend's host:port.
  const host = new URL(url).host
  await eventually('two health checks at the shard, eight queued', async () => shard.arrivals.length === 2 && (await queued(env, host)) === 8)
  t.equal(shard.arrivals.length, 2, 'the shard saw only as many health checks as the proxy may open connections')
  shard.releaseAll()
  const answers = await Promise.all(flood)
  t.same(answers.map((a) => a.status), Array(10).fill(200), 'every health check is answered in turn')
})
