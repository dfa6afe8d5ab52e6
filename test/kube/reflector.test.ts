import t from 'tap'
import { KubeClient } from '../../src/kube/client.js'
import { Reflector, type EventInfo } from '../../src/kube/reflector.js'
import { FakeAPIServer, sendStatus, type Obj } from './fixtures/fake-apiserver.js'
import { eventually, elapse } from '../fixtures/eventually.js'

const PATH = '/clusters/*/apis/example.io/v1/things'
const fast = { backoff: { initialMs: 20, maxMs: 200, jitter: 0 }, minWatchMs: 200 }

async function setup(t: { teardown: (fn: () => unknown) => void }, opts: { seed?: number; pageSize?: number; watchdogMs?: number; start?: boolean } = {}) {
  const api = new FakeAPIServer()
  await api.start()
  for (let i = 0; i < (opts.seed ?? 0); i++) api.upsert(`obj-${String(i).padStart(3, '0')}`)
  const client = new KubeClient({ server: new URL(api.url), insecureSkipTLSVerify: false, file: 'test' })
  const r = new Reflector<Obj>({ client, path: PATH, name: 'things', pageSize: opts.pageSize, watchdogMs: opts.watchdogMs, ...fast })
  const log: { type: string; name: string; info?: EventInfo }[] = []
  const errors: Error[] = []
  const relists: string[] = []
  const restarts: string[] = []
  r.on('add', (o, info) => log.push({ type: 'add', name: o.metadata.name, info }))
  r.on('update', (o) => log.push({ type: 'update', name: o.metadata.name }))
  r.on('delete', (o) => log.push({ type: 'delete', name: o.metadata.name }))
  r.on('error', (e) => errors.push(e))
  r.on('relist', (why) => relists.push(why))
  r.on('restart', (why) => restarts.push(why))
  t.teardown(async () => {
    await r.stop()
    await client.close()
    await api.stop().catch(() => undefined)
  })
  if (opts.start !== false) r.start()
  return { api, client, r, log, errors, relists, restarts }
}

t.test('paginated first list (limit=500 style, resourceVersion=0) then watch from the list RV with bookmarks', async (t) => {
  const { api, r, log } = await setup(t, { seed: 5, pageSize: 2 })
  await r.whenSynced
  t.equal(r.synced, true)
  t.same(log.map((e) => e.type + ':' + e.name), ['add:obj-000', 'add:obj-001', 'add:obj-002', 'add:obj-003', 'add:obj-004'])
  t.equal(log[0].info!.source, 'list')
  const lists = api.lists()
  t.equal(lists.length, 3, 'three pages')
  t.equal(lists[0].searchParams.get('limit'), '2')
  t.equal(lists[0].searchParams.get('resourceVersion'), '0')
  t.ok(lists[1].searchParams.get('continue'), 'next page uses continue')
  t.equal(lists[1].searchParams.get('resourceVersion'), null, 'no RV with continue')
  const w = await eventually('the first watch request', () => api.watches()[0])
  t.equal(w.searchParams.get('resourceVersion'), '105')
  t.equal(w.searchParams.get('allowWatchBookmarks'), 'true')
  const timeout = Number(w.searchParams.get('timeoutSeconds'))
  t.ok(timeout >= 300 && timeout < 600, `timeoutSeconds ${timeout} in [300,600)`)
})

t.test('watch events become add/update/delete and every event (bookmarks too) advances the RV', async (t) => {
  const { api, r, log } = await setup(t, { seed: 1 })
  await r.whenSynced
  await eventually('one open watch', () => api.watchCount() === 1)
  api.upsert('new')
  api.upsert('obj-000', { changed: true })
  api.remove('new')
  await eventually('four events', () => log.length === 4)
  t.same(log.map((e) => e.type + ':' + e.name), ['add:obj-000', 'add:new', 'update:obj-000', 'delete:new'])
  t.equal(log[1].info!.source, 'watch')
  t.equal(r.items().size, 1)
  api.bookmark()
  await eventually('the RV to advance to the bookmark', () => r.resourceVersion === String(api.rv))
  t.pass('bookmark advanced the RV')
})

t.test('a cleanly ended watch re-watches immediately from the last RV without relisting', async (t) => {
  const { api, r, relists, restarts, errors } = await setup(t, { seed: 2 })
  await r.whenSynced
  await eventually('one open watch', () => api.watchCount() === 1)
  api.upsert('x')
  await eventually('x to arrive through the watch', () => r.items().has('c1||x'))
  // x arrived on this watch, so its end is a normal one whatever its age: minWatchMs only
  // judges watches that delivered nothing (the short-watch test below covers those).
  api.dropWatches()
  await eventually('a second watch, one open', () => api.watches().length === 2 && api.watchCount() === 1)
  t.equal(api.watches()[1].searchParams.get('resourceVersion'), String(api.rv))
  t.same(relists, ['initial'])
  t.same(restarts, ['timeout'])
  t.same(errors, [])
})

t.test('compaction while the watch was down: 410 ERROR leads to a relist with RV="" that replaces the store', async (t) => {
  const { api, r, log, relists } = await setup(t, { seed: 3 })
  await r.whenSynced
  await eventually('one open watch', () => api.watchCount() === 1)
  await api.stop()
  api.remove('obj-001') // deleted while the watch was down
  api.upsert('obj-002', { v: 2 })
  api.upsert('added-while-down')
  api.compact()
  await api.start(api.port)
  await eventually('relisted', () => relists.length === 2)
  t.equal(relists[1], 'expired')
  await eventually('obj-001 gone after the relist', () => !r.items().has('c1||obj-001'))
  t.same(api.lists().map((u) => u.searchParams.get('resourceVersion')), ['0', ''], 'consistent relist after expiry')
  const after = log.slice(3).map((e) => e.type + ':' + e.name).sort()
  t.same(after, ['add:added-while-down', 'delete:obj-001', 'update:obj-002'])
  await eventually('one open watch', () => api.watchCount() === 1)
})

t.test('HTTP 410 on the watch request and 504 ResourceVersionTooLarge on the list both relist with RV=""', async (t) => {
  const { api, r, relists } = await setup(t, { seed: 1, start: false })
  let watchCalls = 0
  api.onWatch = (_req, res) => (++watchCalls === 1 ? (sendStatus(res, 410, 'Gone', 'too old'), true) : false)
  let listCalls = 0
  api.onList = (_req, res, url) => {
    if (url.searchParams.get('resourceVersion') === '' && ++listCalls === 1) {
      sendStatus(res, 504, 'Timeout', 'Too large resource version', { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large' }], retryAfterSeconds: 1 })
      return true
    }
    return false
  }
  r.start()
  await eventually('one open watch', () => api.watchCount() === 1)
  t.same(relists, ['initial', 'expired', 'expired'])
  t.same(api.lists().map((u) => u.searchParams.get('resourceVersion')), ['0', '', ''])
})

t.test('malformed watch lines: clear error, backoff, re-watch, no crash', async (t) => {
  const { api, r, errors } = await setup(t, { seed: 1, start: false })
  let calls = 0
  api.onWatch = (_req, res) => {
    if (++calls > 2) return false
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"type":"ADDED","object":{"metadata":{"name":"ok","resourceVersion":"102"}}}\n{"type": ADDED garbage\n')
    return true
  }
  r.start()
  await eventually('one open watch', () => api.watchCount() === 1)
  t.equal(errors.length, 2)
  t.match(errors[0].message, /things: watch: malformed JSON on line 2/)
  t.ok(r.items().has('||ok'), 'the valid event before the garbage was applied')
})

t.test('a server that answers garbage (non-JSON list, nameless item, unknown event type) is retried with backoff', async (t) => {
  const { api, r, errors } = await setup(t, { seed: 1, start: false })
  let lists = 0
  api.onList = (_req, res) => {
    if (++lists > 2) return false
    if (lists === 2) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"metadata":{"resourceVersion":"5"},"items":[{"spec":{}}]}')
      return true
    }
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<html>hello</html>')
    return true
  }
  let watches = 0
  api.onWatch = (_req, res) => {
    if (++watches > 1) return false
    res.writeHead(200)
    res.end('{"type":"SURPRISE","object":{"metadata":{"name":"x"}}}\n')
    return true
  }
  r.start()
  await eventually('one open watch', () => api.watchCount() === 1)
  t.match(errors.map((e) => e.message), [/list: response is not a list/, /list: item without metadata\.name/, /unknown event type "SURPRISE"/])
  t.equal(r.synced, true)
})

t.test('a watch ending in under minWatchMs without events is a failure and backs off (no tight loop)', async (t) => {
  const { api, r, errors } = await setup(t, { seed: 1, start: false })
  api.onWatch = (_req, res) => {
    res.writeHead(200)
    res.end()
    return true
  }
  r.start()
  await r.whenSynced
  await eventually('a second watch after the short one', () => api.watches().length >= 2 && errors.length > 0)
  t.match(errors[0].message, /very short watch/)
  const before = api.watches().length
  // The rate of attempts is the behaviour: with 20 ms doubling to 200 ms, 400 ms allow only a
  // handful; a tight loop would make hundreds. Timers never fire early, so a slow machine can
  // only lower this count.
  const windowMs = 400
  await elapse(windowMs)
  const n = api.watches().length - before
  t.ok(n <= 6, `bounded re-watch attempts in ${windowMs} ms (${n})`)
})

t.test('connection errors back off exponentially and recover when the server returns', async (t) => {
  const { api, r, errors } = await setup(t, { seed: 1 })
  await r.whenSynced
  await eventually('one open watch', () => api.watchCount() === 1)
  await api.stop()
  await eventually('several failed attempts', () => errors.length >= 3)
  t.match(errors[0].message, /things: /)
  await api.start(api.port)
  await eventually('watch re-established', () => api.watchCount() === 1)
  api.upsert('after')
  await eventually('the object created after recovery', () => r.items().has('c1||after'))
})

t.test('the watchdog restarts a watch that stays silent', async (t) => {
  const { api, r, restarts } = await setup(t, { seed: 1, watchdogMs: 300 })
  await r.whenSynced
  await eventually('watchdog fired', () => restarts.includes('watchdog'))
  await eventually('old watch closed, new one open', () => api.watches().length >= 2 && api.watchCount() === 1)
  t.equal(api.lists().length, 1, 'no relist for a watchdog restart')
})

t.test('stop() aborts an open watch and ends the loop', async (t) => {
  const { api, r } = await setup(t, { seed: 1 })
  await eventually('one open watch', () => api.watchCount() === 1)
  await r.stop()
  await eventually('no open watch', () => api.watchCount() === 0)
  const n = api.requests.length
  // A window in which nothing may happen: five times the first backoff (20 ms), so a loop that
  // survived stop() would have re-watched in it.
  await elapse(5 * fast.backoff.initialMs)
  t.equal(api.requests.length, n, 'no requests after stop')
})

t.test('initialStore: the first list emits deletions for objects that are gone', async (t) => {
  const api = new FakeAPIServer()
  await api.start()
  api.upsert('kept')
  const client = new KubeClient({ server: new URL(api.url), insecureSkipTLSVerify: false, file: 'test' })
  const gone: Obj = { metadata: { name: 'gone', resourceVersion: '1', annotations: { 'kcp.io/cluster': 'c1' } } }
  const kept = api.objects.get('kept')!
  const r = new Reflector<Obj>({ client, path: PATH, initialStore: new Map([['c1||gone', gone], ['c1||kept', kept]]), ...fast })
  const seen: string[] = []
  r.on('add', (o) => seen.push('add:' + o.metadata.name)).on('delete', (o) => seen.push('delete:' + o.metadata.name)).on('update', (o) => seen.push('update:' + o.metadata.name))
  t.teardown(async () => {
    await r.stop()
    await client.close()
    await api.stop()
  })
  r.start()
  await r.whenSynced
  t.same(seen, ['delete:gone'], 'unchanged objects are not re-emitted')
})

t.test('with the default tuning, failures back off 0.8 s doubling to a 30 s cap (virtual clock, no sleeping)', async (t) => {
  // A port nobody listens on: every list fails with ECONNREFUSED.
  const api = new FakeAPIServer()
  await api.start()
  const port = api.port
  await api.stop()
  const client = new KubeClient({ server: new URL(`http://127.0.0.1:${port}`), insecureSkipTLSVerify: false, file: 'test' })
  let now = 0
  const sleeps: number[] = []
  const clock = {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      sleeps.push(ms)
      now += ms
      return setImmediate(fn)
    },
    clearTimeout: (h: unknown) => clearImmediate(h as NodeJS.Immediate),
  }
  const r = new Reflector<Obj>({ client, path: PATH, clock, random: () => 0 })
  const errors: string[] = []
  r.on('error', (e) => errors.push(e.message))
  t.teardown(async () => {
    await r.stop()
    await client.close()
  })
  r.start()
  await eventually('nine backoff sleeps', () => sleeps.length >= 9)
  t.same(sleeps.slice(0, 9), [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000])
  t.match(errors[0], /ECONNREFUSED/)
  t.equal(r.synced, false)
})

t.test('a throwing event handler is reported and does not stop the reflector', async (t) => {
  const { api, r, errors } = await setup(t, { seed: 1, start: false })
  r.on('add', (o) => {
    if (o.metadata.name === 'boom') throw new Error('handler bug')
  })
  r.start()
  await eventually('one open watch', () => api.watchCount() === 1)
  api.upsert('boom')
  api.upsert('after')
  await eventually('the object created after recovery', () => r.items().has('c1||after'))
  t.match(errors.map((e) => e.message), [/add handler threw: handler bug/])
})

t.test('transform: listed and watched objects are stored and emitted as transformed (deletes too)', async (t) => {
  const api = new FakeAPIServer()
  await api.start()
  api.upsert('listed', { big: 'x'.repeat(100), keep: 1 })
  const client = new KubeClient({ server: new URL(api.url), insecureSkipTLSVerify: false, file: 'test' })
  const seen: string[] = []
  const r = new Reflector<Obj>({
    client, path: PATH, name: 'things', ...fast,
    transform: (o) => ({ metadata: o.metadata, spec: { keep: o.spec?.keep } }),
  })
  const record = (kind: string) => (o: Obj): void => void seen.push(`${kind}:${o.metadata.name}:${JSON.stringify(o.spec)}`)
  r.on('add', record('add'))
  r.on('update', record('update'))
  r.on('delete', record('delete'))
  t.teardown(async () => {
    await r.stop()
    await client.close()
    await api.stop().catch(() => undefined)
  })
  r.start()
  await r.whenSynced
  await eventually('one open watch', () => api.watchCount() === 1)
  api.upsert('watched', { big: 'y', keep: 2 })
  api.upsert('watched', { big: 'z', keep: 3 })
  api.remove('watched')
  await eventually('four events', () => seen.length === 4)
  t.same(seen, ['add:listed:{"keep":1}', 'add:watched:{"keep":2}', 'update:watched:{"keep":3}', 'delete:watched:{"keep":3}'])
  t.same([...r.items().values()].map((o) => o.spec), [{ keep: 1 }], 'the store holds transformed objects')
})
