// The real kubectl through our front-proxy into a workspace on a non-root shard.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { answeredWatches, startE2E } from './fixtures/env.js'
import { eventually } from '../fixtures/eventually.js'
import { homeClusterName } from '../../src/index/index.js'

const e = await startE2E(t)
const kc = e.kubeconfigFor('root:org')

t.test('kubectl get ns lists the workspace default namespace', async (t) => {
  const r = await e.kubectl(kc, ['get', 'ns', '-o', 'name'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^namespace\/default$/m)
})

t.test('kubectl create, get, apply (client and server side) and delete a configmap', async (t) => {
  let r = await e.kubectl(kc, ['create', 'configmap', 'e2e-a', '--from-literal=k=v'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'configmap/e2e-a created')

  r = await e.kubectl(kc, ['get', 'configmaps'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^e2e-a\s/m, 'table lists the new configmap')

  const manifest = join(e.dir, 'cm.yaml')
  writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e2e-apply\ndata:\n  a: "1"\n')
  r = await e.kubectl(kc, ['apply', '-f', manifest])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'configmap/e2e-apply created')
  writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e2e-apply\ndata:\n  a: "2"\n')
  r = await e.kubectl(kc, ['apply', '-f', manifest])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'configmap/e2e-apply configured')

  writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e2e-ssa\ndata:\n  b: "1"\n')
  r = await e.kubectl(kc, ['apply', '--server-side', '-f', manifest])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /configmap\/e2e-ssa serverside-applied/)

  r = await e.kubectl(kc, ['get', 'configmap', 'e2e-apply', '-o', 'jsonpath={.data.a}'])
  t.equal(r.stdout, '2', 'the client-side apply patch reached the shard')

  r = await e.kubectl(kc, ['delete', 'configmap', 'e2e-a', 'e2e-apply', 'e2e-ssa'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'configmap "e2e-a" deleted')
  r = await e.kubectl(kc, ['get', 'configmap', 'e2e-a'])
  t.not(r.code, 0)
  t.match(r.stderr, /NotFound.*configmaps "e2e-a" not found/)
})

t.test('kubectl get -w sees a configmap created by another kubectl', async (t) => {
  // kubectl lists, then watches from the list's resourceVersion; with -v=6 it logs the watch
  // request once answered, so the configmap is created only after the watch is open.
  const watcher = e.spawnKubectl(kc, ['get', 'configmaps', '-w', '-o', 'name', '-v=6'])
  await eventually('kubectl\'s watch request answered through the proxy', () => answeredWatches(watcher.stderr()).length > 0, { timeoutMs: 15_000, intervalMs: 100 })
  t.notMatch(watcher.stdout(), /configmap\/e2e-watched/, 'not there before it is created')
  const r = await e.kubectl(kc, ['create', 'configmap', 'e2e-watched', '--from-literal=x=y'])
  t.equal(r.code, 0, r.stderr)
  await eventually('the watch event', () => watcher.stdout().includes('configmap/e2e-watched'), { timeoutMs: 15_000, intervalMs: 100 })
  t.equal(answeredWatches(watcher.stderr()).length, 1, 'delivered by the one watch (no re-watch or relist on the way)')
  t.equal(watcher.exitCode, null, 'the watch is still running')
  watcher.kill('SIGTERM')
})

t.test('kubectl api-resources lists core and kcp resources through the proxy', async (t) => {
  const r = await e.kubectl(kc, ['api-resources', '-o', 'name'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^configmaps$/m)
  t.match(r.stdout, /^workspaces\.tenancy\.kcp\.io$/m)
})

t.test('kubectl auth whoami shows the identity the proxy authenticated and forwarded', async (t) => {
  const r = await e.kubectl(kc, ['auth', 'whoami', '-o', 'json'])
  t.equal(r.code, 0, r.stderr)
  const info = JSON.parse(r.stdout).status.userInfo
  t.equal(info.username, 'admin', 'CN of the client certificate')
  // The proxy's default group filter drops system:masters; the shard saw the forwarded groups, not the certificate's.
  t.notOk(info.groups.includes('system:masters'), 'system:masters was dropped by the proxy')
  t.ok(info.groups.includes('system:authenticated'))
})

t.test('kubectl get --raw with a /clusters/ path reaches that workspace', async (t) => {
  const r = await e.kubectl(kc, ['get', '--raw', '/clusters/root:org/version'])
  t.equal(r.code, 0, r.stderr)
  t.match(JSON.parse(r.stdout).gitVersion, /^v1\.32\./)
})

t.test('a user: home path resolves to the home logical cluster', async (t) => {
  // Home clusters exist once something created them; a system:masters write on the shard does (emulator).
  const home = homeClusterName('admin')
  const direct = e.topo.kubeconfig({ shard: 'alpha', cluster: home, user: 'shard-admin' })
  const directFile = join(e.dir, 'direct-home.yaml')
  writeFileSync(directFile, direct)
  let r = await e.kubectl(directFile, ['create', 'configmap', 'in-home', '--from-literal=h=1'])
  t.equal(r.code, 0, r.stderr)
  const viaProxy = e.kubeconfigFor('user:admin')
  await eventually('user:admin to be routable', async () => {
    r = await e.kubectl(viaProxy, ['get', 'configmap', 'in-home', '-o', 'name'])
    return r.code === 0
  }, { timeoutMs: 10_000, intervalMs: 100 })
  t.equal(r.stdout.trim(), 'configmap/in-home')
})

t.test('an unknown workspace is a 403 kubectl reports as Forbidden', async (t) => {
  const kcNope = e.kubeconfigFor('root:nope')
  // Resource commands fail in discovery; kubectl prints only the reason for discovery errors.
  let r = await e.kubectl(kcNope, ['get', 'configmaps'])
  t.not(r.code, 0)
  t.match(r.stderr, /Error from server \(Forbidden\)/)
  // A plain request shows the proxy's Status message.
  r = await e.kubectl(kcNope, ['get', '--raw', '/clusters/root:nope/api/v1/namespaces/default/configmaps'])
  t.not(r.code, 0)
  // Upstream says `User ""`; we name the caller and say why.
  t.match(r.stderr, 'Error from server (Forbidden): forbidden: User "admin" cannot get path "/clusters/root:nope/api/v1/namespaces/default/configmaps": workspace access not permitted: workspace "root:nope" does not exist')
})

t.test('an Unavailable workspace is a 503', async (t) => {
  await e.topo.createWorkspace('root', 'down', { shard: 'alpha' })
  await e.topo.setWorkspacePhase('root:down', 'Unavailable')
  const kcDown = e.kubeconfigFor('root:down')
  let r = await e.kubectl(kcDown, ['get', '--raw', '/clusters/root:down/api/v1/namespaces/default/configmaps'])
  await eventually('the proxy to see the phase', async () => {
    r = await e.kubectl(kcDown, ['get', '--raw', '/clusters/root:down/api/v1/namespaces/default/configmaps'])
    return /ServiceUnavailable|unable to handle the request|Not available/.test(r.stderr)
  }, { timeoutMs: 10_000, intervalMs: 100 })
  t.not(r.code, 0)
  t.match(r.stderr, /ServiceUnavailable|unable to handle the request|Not available/)
})

t.test('kubectl get workspaces through the proxy: kcp\'s columns, URLs naming the proxy; kubectl wait for Ready', async (t) => {
  const root = e.kubeconfigFor('root')
  const create = await e.kubectl(root, ['create', '-f', '-'], { stdin: 'apiVersion: tenancy.kcp.io/v1alpha1\nkind: Workspace\nmetadata:\n  name: e2e-waited\nspec: {}\n' })
  t.equal(create.code, 0, create.stderr)
  const wait = await e.kubectl(root, ['wait', '--for=condition=Ready', 'workspace/e2e-waited', '--timeout=20s'])
  t.equal(wait.code, 0, wait.stderr)
  const r = await e.kubectl(root, ['get', 'workspaces'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^NAME\s+TYPE\s+REGION\s+PHASE\s+URL\s+AGE$/m)
  t.match(r.stdout, new RegExp(`^org\\s+universal\\s+Ready\\s+${e.proxyURL}/clusters/root:org\\s`, 'm'))
  t.match(r.stdout, new RegExp(`^e2e-waited\\s+universal\\s+Ready\\s+${e.proxyURL}/clusters/root:e2e-waited\\s`, 'm'))
})
