// Requests start at most PER_TURN per turn of the event loop (src/proxy/turns.ts), so a proxy
// kept busy by HTTP/2 clients still accepts new connections: Node accepts one per turn.
import t from 'tap'
import { connect, type ClientHttp2Session } from 'node:http2'
import { PER_TURN, TurnQueue } from '../../src/proxy/turns.js'
import { startE2E } from '../e2e/fixtures/env.js'

const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

t.test('a turn starts at most perTurn items, in order; items already gone do not count', async (t) => {
  const started: number[] = []
  const q = new TurnQueue<number>((n) => {
    if (n % 2 === 1) return false
    started.push(n)
    return true
  }, 3)
  for (let n = 0; n < 12; n++) q.push(n)
  t.same(started, [], 'nothing starts in the turn that queued it')
  await turn()
  t.same(started, [0, 2, 4], 'three started; the gone ones between them were passed over')
  await turn()
  t.same(started, [0, 2, 4, 6, 8, 10])
  await turn()
  t.equal(q.size, 0)
})

// Issue 15: `h2load -c500 -m1 -D3` never completed. Node accepts one connection per turn of the
// event loop, and the proxy started, in a turn, every request it had read: with 500 busy clients
// turns took 20 ms and more and new connections waited seconds for their TLS handshake (h2load stops the
// clients it has when its window closes; the ones still connecting then ran on). Scaled down:
// SESSIONS established sessions send BURST requests each at once, and FRESH clients connect at that
// moment. The proxy accepts them one a turn; meanwhile it may start only PER_TURN requests a turn,
// not the whole burst. The shards speak HTTP/2 here, so no connection limit of the proxy's paces
// the burst for it (a shard in its own process answers within the proxy's turn; this one shares it).
const SESSIONS = 10
const BURST = 50
const FRESH = 8
const PATH = '/clusters/root:org/api'

function open(url: string, ca: string, sessions: ClientHttp2Session[]): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = connect(url, { ca })
    sessions.push(s)
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
}

function get(s: ClientHttp2Session): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = s.request({ ':path': PATH, authorization: 'Bearer admin-token' })
    let status = 0
    r.on('response', (h) => (status = Number(h[':status'])))
    r.on('error', reject)
    r.resume()
    r.on('end', () => resolve(status))
  })
}

t.test('new HTTP/2 connections are accepted while a burst of requests from established sessions is started', async (t) => {
  const env = await startE2E(t, { http2: true, extra: { backendHttp2: true } })
  const alpha = env.topo.shards.get('alpha')!
  const sessions: ClientHttp2Session[] = []
  t.teardown(() => {
    for (const s of sessions) s.destroy()
  })
  const busy = await Promise.all(Array.from({ length: SESSIONS }, () => open(env.proxyURL, env.ca, sessions)))
  const burst = (): Promise<number>[] => busy.flatMap((s) => Array.from({ length: BURST }, () => get(s)))
  // Warm-up: the proxy's shard connections exist (one per 100 streams), as a busy proxy's do.
  t.same(new Set(await Promise.all(burst())), new Set([200]), 'a first burst is answered')

  const before = alpha.stats.requests
  const answers = burst()
  const reachedShard = await Promise.all(Array.from({ length: FRESH }, () => open(env.proxyURL, env.ca, sessions).then(() => alpha.stats.requests - before)))
  const most = Math.max(...reachedShard)
  t.ok(
    most <= 2 * FRESH * PER_TURN,
    `${most} of the burst's ${SESSIONS * BURST} requests reached the shard while ${FRESH} new clients connected (≤ ${2 * FRESH * PER_TURN}: ${PER_TURN} a turn, one connection a turn)`,
  )
  t.same(new Set(await Promise.all(answers)), new Set([200]), 'every request of the burst is answered')
  t.same(new Set(await Promise.all(sessions.slice(SESSIONS).map(get))), new Set([200]), 'every new client is answered')
})
