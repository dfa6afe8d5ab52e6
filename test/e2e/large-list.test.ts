// A ~50 MiB list through the proxy to a slow client must stream: the proxy (in its own
// process, so its RSS is its own) may hold a window of the body, never the body.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request as httpsRequest } from 'node:https'
import { startTopology } from '../../src/emulator/index.js'
import { caFromPair, issueLoopbackServerCert } from '../../src/pki/index.js'
import { startChild } from '../../bench/lib/child.js'
import { rssBytes } from '../../bench/lib/proc.js'
import { tlsAgent, configMapOfSize, ensureConfigMap } from '../../bench/lib/kube-http.js'
import { eventually } from '../fixtures/eventually.js'
import { withoutCoverage } from '../fixtures/coverage.js'

const OBJECTS = 100
const OBJECT_BYTES = 512 * 1024 // 100 × 512 KiB ≈ 50 MiB
const MiB = 2 ** 20

const dir = t.testdir({})
const topo = await startTopology({ shards: ['root', 'alpha'] })
t.teardown(() => topo.close())
const files = await topo.writeFiles(join(dir, 'topology'))
const org = await topo.createWorkspace('root', 'org', { shard: 'alpha' })
const serving = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
writeFileSync(join(dir, 'proxy.crt'), serving.cert)
writeFileSync(join(dir, 'proxy.key'), serving.key)
const proxy = await startChild<{ url: string }>(new URL('../../bench/lib/children/front-proxy.ts', import.meta.url).pathname, {
  args: ['--files', JSON.stringify(files), '--serving-cert', join(dir, 'proxy.crt'), '--serving-key', join(dir, 'proxy.key'),
    '--log-file', join(dir, 'proxy.log'), '--v', '2', '--client-cert-auth', 'false'],
  label: null,
  env: withoutCoverage(),
})
t.teardown(() => proxy.stop())

const seed = tlsAgent({ ca: topo.pki.servingCA.cert })
t.teardown(() => seed.close())
const shardCluster = `${topo.shards.get('alpha')!.baseURL}/clusters/${org.cluster}`
for (let i = 0; i < OBJECTS; i += 10) {
  await Promise.all(Array.from({ length: 10 }, (_, j) => ensureConfigMap(seed, shardCluster, configMapOfSize(`big-${i + j}`, OBJECT_BYTES), 'admin-token')))
}

/**
 * GETs through the proxy: reads `headBytes`, then stops reading for `pauseMs` (a slow
 * client), then reads the rest. Samples the proxy's RSS throughout.
 */
function pausedGet(path: string, headBytes: number, pauseMs: number): Promise<{ status: number; bytes: number; body: Buffer[]; rssMaxPaused: number; rssMax: number }> {
  return new Promise((resolve, reject) => {
    let paused = false
    let rssMax = rssBytes(proxy.pid)
    let rssMaxPaused = 0
    const sampler = setInterval(() => {
      const rss = rssBytes(proxy.pid)
      rssMax = Math.max(rssMax, rss)
      if (paused) rssMaxPaused = Math.max(rssMaxPaused, rss)
    }, 50)
    const req = httpsRequest(`${proxy.info.url}${path}`, { ca: topo.pki.servingCA.cert, agent: false, headers: { authorization: 'Bearer admin-token' } }, (res) => {
      const body: Buffer[] = []
      let bytes = 0
      let timer: NodeJS.Timeout | undefined
      res.on('data', (c: Buffer) => {
        body.push(c)
        bytes += c.length
        if (bytes >= headBytes && timer === undefined && pauseMs > 0) {
          res.pause()
          paused = true
          timer = setTimeout(() => { paused = false; res.resume() }, pauseMs)
        }
      })
      res.on('end', () => { clearTimeout(timer); clearInterval(sampler); resolve({ status: res.statusCode ?? 0, bytes, body, rssMaxPaused, rssMax }) })
      res.on('error', (e) => { clearTimeout(timer); clearInterval(sampler); reject(e) })
    })
    req.on('error', (e) => { clearInterval(sampler); reject(e) })
    req.end()
  })
}

t.test('a 50 MiB list through the proxy to a client that stops reading is not buffered by the proxy', async (t) => {
  const path = '/clusters/root:org/api/v1/namespaces/default/configmaps'
  // Warm-up: the same request once, so code paths, pools and heap size exist before the baseline reading.
  const warm = await pausedGet(`${path}?limit=20`, Infinity, 0)
  t.equal(warm.status, 200)
  // The baseline is read once the warm-up has settled: two readings 200 ms apart within 1 MiB.
  let last = rssBytes(proxy.pid)
  const before = await eventually('the proxy\'s RSS to settle after the warm-up', () => {
    const now = rssBytes(proxy.pid)
    const settled = Math.abs(now - last) < 1 * MiB
    last = now
    return settled && now
  }, { timeoutMs: 10_000, intervalMs: 200 })
  const r = await pausedGet(path, 1 * MiB, 3000)
  t.equal(r.status, 200)
  t.ok(r.bytes > 45 * MiB, `the list is about 50 MiB (${(r.bytes / MiB).toFixed(1)} MiB)`)
  const list = JSON.parse(Buffer.concat(r.body).toString('utf8'))
  t.equal(list.items.length, OBJECTS, 'every object arrived intact')
  const growth = r.rssMaxPaused - before
  t.comment(`proxy RSS before ${(before / MiB).toFixed(1)} MiB, max while the client paused ${(r.rssMaxPaused / MiB).toFixed(1)} MiB, max overall ${(r.rssMax / MiB).toFixed(1)} MiB`)
  // Reading the shard's response while the client does not would pull ~49 MiB into the proxy during
  // the pause; streaming with backpressure holds only socket and TLS windows.
  t.ok(growth < 16 * MiB, `proxy RSS grew ${(growth / MiB).toFixed(1)} MiB while its client paused after 1 of 50 MiB (bound 16 MiB)`)
})
