// Reload on change: atomic swap, in-flight requests keep their mapping, a broken file is
// rejected and the old mappings stay; ConfigMap-style symlink swaps are noticed.
import t from 'tap'
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerResponse } from 'node:http'
import pino from 'pino'
import { captureLogs, startBackend, startProxy, tmpDir, twoShardIndex, writeMapping } from './fixtures/env.js'
import { h1 } from './fixtures/client.js'
import { eventually } from '../fixtures/eventually.js'
import { MappingStore } from '../../src/proxy/mapping-store.js'
import type { WatchFn } from '../../src/files/reloadable.js'

t.test('a changed mapping file is swapped in; the in-flight request finishes on the old backend; a bad file is rejected', async (t) => {
  const a = await startBackend(t)
  const b = await startBackend(t)
  let held: ServerResponse | undefined
  a.handler = (req, res) => {
    if (req.url?.startsWith('/services/slow')) {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('a-start;')
      held = res
      return
    }
    res.end('a')
  }
  b.handler = (_req, res) => res.end('b')
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: a.url }, { path: '/services/', backend: a.url }], index: twoShardIndex(a.url, a.url) })
  const slow = h1(`${env.proxy.url}/services/slow`, env.ca)
  await eventually('slow request at a', async () => held !== undefined)

  await writeMapping(env.dir, [{ path: '/clusters/', backend: a.url }, { path: '/services/', backend: b.url }])
  await eventually('new mapping in use', async () => (await h1(`${env.proxy.url}/services/x`, env.ca)).body === 'b')
  held!.end('a-end')
  t.equal((await slow).body, 'a-start;a-end', 'the in-flight request kept its mapping')

  writeFileSync(env.mappingFile, '- path: /services/\n  backend: http://not-https\n')
  await eventually('rejection logged', async () => env.logs.lines().some((l) => l.msg === 'mapping file rejected; keeping the current mappings'))
  t.equal((await h1(`${env.proxy.url}/services/x`, env.ca)).body, 'b', 'the old mappings stay after a bad file')
  const rejected = env.logs.lines().find((l) => l.msg === 'mapping file rejected; keeping the current mappings')
  t.match(JSON.stringify(rejected), /mapping\.yaml:2 entry 0 backend: must be an https URL/)
})

t.test('a ConfigMap-style ..data symlink swap is picked up', async (t) => {
  const a = await startBackend(t)
  const b = await startBackend(t)
  a.handler = (_req, res) => res.end('a')
  b.handler = (_req, res) => res.end('b')
  const env = await startProxy(t, { entries: [{ path: '/services/', backend: a.url }] })
  // Re-lay the directory like kubelet does: mapping.yaml -> ..data/mapping.yaml, ..data -> ..v1
  const cm = join(env.dir, 'cm')
  mkdirSync(join(cm, '..v1'), { recursive: true })
  mkdirSync(join(cm, '..v2'))
  await writeMapping(join(cm, '..v1'), [{ path: '/services/', backend: a.url }])
  await writeMapping(join(cm, '..v2'), [{ path: '/services/', backend: b.url }])
  symlinkSync('..v1', join(cm, '..data'))
  // Every key of the ConfigMap is a top-level symlink through ..data.
  for (const f of ['mapping.yaml', 'ca.crt', 'proxy-client.crt', 'proxy-client.key']) symlinkSync(join('..data', f), join(cm, f))
  // A second proxy reading through the symlinks.
  const env2 = await startProxy(t, { entries: [{ path: '/services/', backend: a.url }], input: { proxy: { mappingFile: join(cm, 'mapping.yaml') } } })
  t.equal((await h1(`${env2.proxy.url}/services/x`, env2.ca)).body, 'a')
  symlinkSync('..v2', join(cm, '..data_tmp'))
  renameSync(join(cm, '..data_tmp'), join(cm, '..data'))
  await eventually('swap noticed', async () => (await h1(`${env2.proxy.url}/services/x`, env2.ca)).body === 'b')
  t.pass('swapped')
  t.equal((await h1(`${env.proxy.url}/services/x`, env.ca)).body, 'a', 'the other proxy is unaffected')
})

t.test('when fs.watch throws, a changed mapping file is still picked up by polling', async (t) => {
  const dir = tmpDir(t)
  const file = await writeMapping(dir, [{ path: '/services/', backend: 'https://127.0.0.1:1' }])
  const logs = captureLogs()
  const refuse: WatchFn = () => {
    throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' })
  }
  const reloads: boolean[] = []
  const store = await MappingStore.open({ file, logger: pino(logs.stream), watch: refuse, pollMs: 20, onReload: (r) => reloads.push(r.ok) })
  t.teardown(() => store.close())
  t.ok(logs.lines().some((l) => l.msg === 'cannot watch the mapping file directory; polling for changes'), 'the watch failure is logged')
  await writeMapping(dir, [{ path: '/services/', backend: 'https://127.0.0.1:2' }])
  await eventually('the polled reload', () => reloads.length > 0)
  t.same(reloads, [true])
  t.equal(store.current.mappings[0].backend.port, '2')
})
