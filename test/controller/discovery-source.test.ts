import t from 'tap'
import { DiscoverySource, failoverOrder, isFailoverStatus, type DiscoveryEndpointClient } from '../../src/controller/discovery-source.js'
import type { JSONResponse, ListWatchClient, WatchResponse } from '../../src/kube/client.js'

t.test('failoverOrder: round-robin from start, endpoints in cooldown last (oldest failure first)', async (t) => {
  const cases: { name: string; count: number; start: number; failed: [number, number][]; now: number; want: number[] }[] = [
    { name: 'none failed, start 0', count: 3, start: 0, failed: [], now: 100, want: [0, 1, 2] },
    { name: 'none failed, start 2 wraps', count: 3, start: 2, failed: [], now: 100, want: [2, 0, 1] },
    { name: 'one cooling down', count: 3, start: 0, failed: [[0, 90]], now: 100, want: [1, 2, 0] },
    { name: 'cooldown over: back in rotation', count: 3, start: 0, failed: [[0, 60]], now: 100, want: [0, 1, 2] },
    { name: 'exactly at the bound: back in rotation', count: 3, start: 0, failed: [[0, 70]], now: 100, want: [0, 1, 2] },
    { name: 'all cooling down: still all tried, oldest failure first', count: 3, start: 0, failed: [[0, 95], [1, 80], [2, 90]], now: 100, want: [1, 2, 0] },
    { name: 'single endpoint', count: 1, start: 0, failed: [[0, 99]], now: 100, want: [0] },
  ]
  for (const c of cases) t.same(failoverOrder(c.count, c.start, new Map(c.failed), c.now, 30), c.want, c.name)
})

t.test('isFailoverStatus: answers another endpoint may serve better', async (t) => {
  const cases: [number, boolean][] = [[200, false], [201, false], [400, false], [401, true], [403, true], [404, true], [410, false], [422, false], [429, true], [500, true], [502, true], [503, true], [504, true]]
  for (const [status, want] of cases) t.equal(isFailoverStatus(status), want, String(status))
})

/** An endpoint whose answers a test scripts: a status, or a thrown network error. */
class Scripted implements ListWatchClient {
  calls: string[] = []
  constructor(public answer: number | Error = 200, public stream: AsyncIterable<Uint8Array> = (async function* () {})()) {}
  async getJSON(path: string): Promise<JSONResponse> {
    this.calls.push(path)
    if (this.answer instanceof Error) throw this.answer
    return { status: this.answer, body: { code: this.answer } }
  }
  async watchStream(path: string): Promise<WatchResponse> {
    this.calls.push(path)
    if (this.answer instanceof Error) throw this.answer
    return this.answer === 200 ? { status: 200, stream: this.stream } : { status: this.answer, body: {} }
  }
}

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })

function sourceOf(clients: Scripted[], clock = { now: 0 }): { source: DiscoverySource; failovers: string[]; clock: { now: number } } {
  const failovers: string[] = []
  const endpoints: DiscoveryEndpointClient[] = clients.map((client, i) => ({ label: `e${i}`, client }))
  const source = new DiscoverySource({ endpoints, cooldownMs: 1000, now: () => clock.now, onFailover: (label) => failovers.push(label) })
  return { source, failovers, clock }
}

t.test('requests rotate over healthy endpoints', async (t) => {
  const clients = [new Scripted(), new Scripted(), new Scripted()]
  const { source } = sourceOf(clients)
  for (let i = 0; i < 6; i++) await source.getJSON(`/p${i}`)
  t.same(clients.map((c) => c.calls), [['/p0', '/p3'], ['/p1', '/p4'], ['/p2', '/p5']])
  t.same(source.status(), { servedBy: 'e2', ok: true })
})

t.test('a refused endpoint is skipped within the request and tried last until its cooldown ends', async (t) => {
  const clients = [new Scripted(refused()), new Scripted(), new Scripted()]
  const { source, failovers, clock } = sourceOf(clients)
  t.equal((await source.getJSON('/a')).status, 200)
  t.same(failovers, ['e0'])
  t.same(clients.map((c) => c.calls.length), [1, 1, 0], 'e0 failed, e1 answered')
  clients[0].answer = 200
  // Round-robin would start at e0 again after e2; within the cooldown it is tried last, never reached.
  for (let i = 0; i < 3; i++) await source.getJSON('/b')
  t.equal(clients[0].calls.length, 1, 'not asked while cooling down')
  clock.now = 1000
  for (let i = 0; i < 3; i++) await source.getJSON('/c')
  t.equal(clients[0].calls.length, 2, 'asked again once the cooldown is over')
  t.same(failovers, ['e0'])
})

t.test('statuses: 404 moves on, 410 is the caller\'s; all failing returns the last answer or throws the last error', async (t) => {
  const notServed = sourceOf([new Scripted(404), new Scripted(200)])
  t.equal((await notServed.source.getJSON('/x')).status, 200, '404 from an endpoint without the view: the next one answers')
  const gone = sourceOf([new Scripted(410), new Scripted(200)])
  t.equal((await gone.source.getJSON('/x')).status, 410, '410 Gone is returned so the reflector relists')
  t.same(gone.failovers, [])
  const allBad = sourceOf([new Scripted(503), new Scripted(refused())])
  t.equal((await allBad.source.getJSON('/x')).status, 503, 'the answer of the endpoint that did answer')
  t.match(allBad.source.status(), { ok: false, error: /no discovery endpoint answered/ })
  const allDown = sourceOf([new Scripted(refused()), new Scripted(refused())])
  await t.rejects(allDown.source.getJSON('/x'), { code: 'ECONNREFUSED', message: /all 2 discovery endpoints failed, last e\d: ECONNREFUSED/ })
  t.same(allDown.failovers.sort(), ['e0', 'e1'])
})

t.test('a watch stream that breaks puts its endpoint in cooldown; one the caller aborts does not', async (t) => {
  const broken = (async function* () {
    yield new Uint8Array([123])
    throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })
  })()
  const clients = [new Scripted(200, broken), new Scripted()]
  const { source, failovers } = sourceOf(clients)
  const ac = new AbortController()
  const res = await source.watchStream('/w', ac.signal)
  t.ok('stream' in res)
  await t.rejects(
    (async () => {
      for await (const _ of (res as { stream: AsyncIterable<Uint8Array> }).stream) void _
    })(),
    /other side closed/,
  )
  t.same(failovers, ['e0'])
  const next = await source.watchStream('/w', ac.signal)
  t.ok('stream' in next)
  t.same(clients.map((c) => c.calls.length), [1, 1], 'the next watch went to the other endpoint')

  const aborted = new AbortController()
  const quiet = (async function* () {
    yield new Uint8Array([1])
    aborted.abort()
    throw new Error('aborted')
  })()
  const s2 = sourceOf([new Scripted(200, quiet)])
  const r2 = await s2.source.watchStream('/w', aborted.signal)
  await t.rejects((async () => {
    for await (const _ of (r2 as { stream: AsyncIterable<Uint8Array> }).stream) void _
  })())
  t.same(s2.failovers, [], 'an abort by the reflector is not the endpoint failing')
})

t.test('a source needs an endpoint', async (t) => {
  t.throws(() => new DiscoverySource({ endpoints: [] }), /at least one endpoint/)
})
