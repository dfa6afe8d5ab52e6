// A watch through the proxy must survive a long silence: nothing (proxy, undici, Node's
// server timeouts) may cut a watch that carries no bytes for a minute. This test is
// deliberately long (60 s); everything else in test/e2e is fast.
import t from 'tap'
import { startE2E, eventually } from './fixtures/env.js'

const QUIET_MS = 60_000
// The silence plus generous room for kubectl starts and two 15 s waits on a loaded machine.
t.setTimeout(QUIET_MS + 120_000)
const e = await startE2E(t)
const kc = e.kubeconfigFor('root:org')

t.test('kubectl get -w stays open through 60 s of silence and still delivers the next event', async (t) => {
  const watcher = e.spawnKubectl(kc, ['get', 'configmaps', '-w', '-o', 'name', '--request-timeout=0'])
  await new Promise((r) => setTimeout(r, 1500))
  let r = await e.kubectl(kc, ['create', 'configmap', 'before-quiet'])
  t.equal(r.code, 0, r.stderr)
  await eventually('the first event', 15_000, () => watcher.output().includes('configmap/before-quiet'))
  await new Promise((r) => setTimeout(r, QUIET_MS))
  t.equal(watcher.exitCode, null, 'kubectl is still watching after the quiet period')
  r = await e.kubectl(kc, ['create', 'configmap', 'after-quiet'])
  t.equal(r.code, 0, r.stderr)
  await eventually('the event after the quiet period', 15_000, () => watcher.output().includes('configmap/after-quiet'))
  t.equal(watcher.exitCode, null)
  t.notMatch(watcher.output(), /error|Error/, 'no reconnect or error on the way')
})
