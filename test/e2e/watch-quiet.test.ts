// A watch through the proxy must survive a long silence: nothing (proxy, undici, Node's
// server timeouts) may cut a watch that carries no bytes for a minute. This test is
// deliberately long (60 s); everything else in test/e2e is fast.
import t from 'tap'
import { answeredWatches, startE2E } from './fixtures/env.js'
import { elapse, eventually } from '../fixtures/eventually.js'

const QUIET_MS = 60_000
// The silence plus generous room for kubectl starts and two 15 s waits on a loaded machine.
t.setTimeout(QUIET_MS + 120_000)
const e = await startE2E(t)
const kc = e.kubeconfigFor('root:org')

t.test('kubectl get -w stays open through 60 s of silence and still delivers the next event', async (t) => {
  // -v=6: kubectl logs its watch request once answered, so the test starts once the watch is open.
  const watcher = e.spawnKubectl(kc, ['get', 'configmaps', '-w', '-o', 'name', '--request-timeout=0', '-v=6'])
  await eventually('kubectl\'s watch request answered through the proxy', () => answeredWatches(watcher.stderr()).length > 0, { timeoutMs: 15_000, intervalMs: 100 })
  let r = await e.kubectl(kc, ['create', 'configmap', 'before-quiet'])
  t.equal(r.code, 0, r.stderr)
  await eventually('the first event', () => watcher.stdout().includes('configmap/before-quiet'), { timeoutMs: 15_000, intervalMs: 100 })
  // The silence is the behaviour under test.
  await elapse(QUIET_MS)
  t.equal(watcher.exitCode, null, 'kubectl is still watching after the quiet period')
  r = await e.kubectl(kc, ['create', 'configmap', 'after-quiet'])
  t.equal(r.code, 0, r.stderr)
  await eventually('the event after the quiet period', () => watcher.stdout().includes('configmap/after-quiet'), { timeoutMs: 15_000, intervalMs: 100 })
  t.equal(watcher.exitCode, null)
  t.equal(answeredWatches(watcher.stderr()).length, 1, 'both events came on the first watch: no reconnect on the way')
  t.notMatch(watcher.stdout(), /error|Error/, 'no error on the way')
})
