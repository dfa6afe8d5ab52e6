import t from 'tap'
import { renderHealth } from '../../src/server/health.js'

const ok = { name: 'shutdown', ok: true }
const synced = { name: 'shards-synced', ok: true }
const failing = { name: 'shard:alpha', ok: false, message: 'not synced' }
const timedOut = { name: 'shard:beta', ok: false, blocking: false, message: 'not synced within 30s, not blocking readiness' }

t.test('renderHealth produces the k8s healthz bodies', async (t) => {
  const cases: [string, Parameters<typeof renderHealth>, number, string][] = [
    ['ok', ['readyz', [ok, synced], '', ''], 200, 'ok'],
    ['verbose ok', ['readyz', [ok, synced], '', 'verbose'], 200, '[+]shutdown ok\n[+]shards-synced ok\nreadyz check passed\n'],
    ['failing, not verbose: the list anyway', ['readyz', [ok, failing], '', ''], 500, '[+]shutdown ok\n[-]shard:alpha failed: reason withheld\nreadyz check failed\n'],
    ['excluded failing check', ['readyz', [ok, failing], '', 'exclude=shard:alpha'], 200, 'ok'],
    ['excluded, verbose', ['readyz', [ok, failing], '', 'verbose&exclude=shard:alpha'], 200, '[+]shutdown ok\n[+]shard:alpha excluded: ok\nreadyz check passed\n'],
    ['exclude of an unknown check warns', ['readyz', [ok], '', 'verbose&exclude=nope'], 200, '[+]shutdown ok\nwarn: some health checks cannot be excluded: no matches for "nope"\nreadyz check passed\n'],
    ['single check ok', ['readyz', [ok, failing], 'shutdown', ''], 200, 'ok'],
    ['single check failing', ['readyz', [ok, failing], 'shard:alpha', ''], 500, 'internal server error: not synced\n'],
    ['unknown single check', ['readyz', [ok], 'nope', ''], 404, '404 page not found\n'],
    ['a shard past its sync deadline is shown but keeps the replica ready', ['readyz', [ok, synced, timedOut], '', ''], 200, 'ok'],
    ['non-blocking failure, verbose', ['readyz', [ok, timedOut], '', 'verbose'], 200, '[+]shutdown ok\n[-]shard:beta failed (not blocking): reason withheld\nreadyz check passed\n'],
    ['non-blocking check asked alone still fails', ['readyz', [ok, timedOut], 'shard:beta', ''], 500, 'internal server error: not synced within 30s, not blocking readiness\n'],
    ['livez', ['livez', [{ name: 'ping', ok: true }], '', 'verbose'], 200, '[+]ping ok\nlivez check passed\n'],
    ['upstream\'s /readyz/informer-sync: the whole readiness, ready', ['readyz', [ok, synced, timedOut], 'informer-sync', ''], 200, 'ok'],
    ['upstream\'s /readyz/informer-sync: not ready names what blocks', ['readyz', [ok, failing], 'informer-sync', ''], 500, 'internal server error: shard:alpha not ready\n'],
    ['/livez/informer-sync is not a check', ['livez', [{ name: 'ping', ok: true }], 'informer-sync', ''], 404, '404 page not found\n'],
  ]
  for (const [name, args, status, body] of cases) {
    const a = renderHealth(...args)
    t.equal(a.status, status, `${name}: status`)
    t.equal(a.body, body, `${name}: body`)
  }
})
