// Workspaces as kcp leaves them: WorkspaceScheduled / WorkspaceInitialized / Ready conditions (so
// `kubectl wait --for=condition=Ready` works), WorkspaceScheduled False when no shard fits, and spec.URL
// (with Shard spec.externalURL and LogicalCluster status.URL) naming the front-proxy once the topology is
// told its URL.
import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { requestURL } from '../../src/emulator/client.js'
import { kubectlRunner } from './fixtures/kubectl.js'

// A scheduling delay, so `kubectl wait` starts before the workspace is Ready and really waits.
const topo = await startTopology({ shards: ['root', { name: 'alpha', labels: { region: 'eu' } }], schedulingDelayMs: 300 })
t.teardown(() => topo.close())
const ca = topo.pki.servingCA.cert
const kubectl = await kubectlRunner(t, topo.kubeconfig({ cluster: 'root' }))
const wsURL = (name: string): string => `${topo.root.baseURL}/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces/${name}`

interface Condition { type: string; status: string; severity?: string; lastTransitionTime: string; reason?: string; message?: string }
async function workspace(name: string): Promise<{ spec: { URL?: string; cluster?: string }; status: { phase: string; conditions: Condition[] } }> {
  return (await requestURL(wsURL(name), { ca, cert: topo.pki.admin })).json()
}

t.test('kubectl wait --for=condition=Ready waits for a workspace created with kubectl', async (t) => {
  const manifest = 'apiVersion: tenancy.kcp.io/v1alpha1\nkind: Workspace\nmetadata:\n  name: waited\nspec: {}\n'
  const created = await kubectl.run(['create', '-f', '-'], { input: manifest })
  t.equal(created.code, 0, created.stderr)
  const r = await kubectl.run(['wait', '--for=condition=Ready', 'workspace/waited', '--timeout=30s'], { timeoutMs: 40_000 })
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout.trim(), 'workspace.tenancy.kcp.io/waited condition met')
  const ws = await workspace('waited')
  t.equal(ws.status.phase, 'Ready')
  t.same(ws.status.conditions.map((c) => [c.type, c.status]), [['Ready', 'True'], ['WorkspaceInitialized', 'True'], ['WorkspaceScheduled', 'True']], 'Ready first, then by type, as kcp sorts them')
  for (const c of ws.status.conditions) {
    t.match(c.lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'second precision')
    t.same(Object.keys(c), ['type', 'status', 'lastTransitionTime'], 'True conditions carry no severity, reason or message')
  }
  const scheduled = await kubectl.run(['wait', '--for=condition=WorkspaceScheduled', 'workspace/waited', '--timeout=10s'])
  t.equal(scheduled.code, 0, scheduled.stderr)
})

t.test('a workspace no shard can take: WorkspaceScheduled False, Unschedulable, severity Error', async (t) => {
  const body = JSON.stringify({ apiVersion: 'tenancy.kcp.io/v1alpha1', kind: 'Workspace', metadata: { name: 'nowhere' }, spec: { location: { selector: { matchLabels: { region: 'mars' } } } } })
  const r = await requestURL(`${topo.root.baseURL}/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces`, { ca, cert: topo.pki.admin, method: 'POST', contentType: 'application/json', body })
  t.equal(r.status, 201)
  const w = await kubectl.run(['wait', '--for=condition=WorkspaceScheduled=False', 'workspace/nowhere', '--timeout=20s'], { timeoutMs: 30_000 })
  t.equal(w.code, 0, w.stderr)
  const ws = await workspace('nowhere')
  t.equal(ws.status.phase, 'Scheduling')
  t.match(ws.status.conditions, [{ type: 'WorkspaceScheduled', status: 'False', severity: 'Error', reason: 'Unschedulable', message: 'no shard matches the location selector {"region":"mars"}' }])
})

t.test('Unavailable (setWorkspacePhase) turns Ready False; back to Ready turns it True', async (t) => {
  const org = await topo.createWorkspace('root', 'flaky')
  await topo.setWorkspacePhase(org.path, 'Unavailable')
  t.match((await workspace('flaky')).status.conditions[0], { type: 'Ready', status: 'False', severity: 'Error', reason: 'Unavailable' })
  await topo.setWorkspacePhase(org.path, 'Ready')
  t.match((await workspace('flaky')).status.conditions[0], { type: 'Ready', status: 'True' })
})

t.test('setExternalURL: Shard spec.externalURL, Workspace spec.URL and LogicalCluster status.URL name the proxy', async (t) => {
  const before = await topo.createWorkspace('root', 'before', { shard: 'alpha' })
  t.equal((await workspace('before')).spec.URL, `${topo.shards.get('alpha')?.baseURL}/clusters/root:before`, 'by default the shard\'s own URL')
  const proxyURL = 'https://proxy.example.test:6443'
  await topo.setExternalURL(proxyURL)
  t.equal((await workspace('before')).spec.URL, `${proxyURL}/clusters/root:before`, 'existing workspaces are rewritten')
  await topo.createWorkspace('root', 'after')
  t.equal((await workspace('after')).spec.URL, `${proxyURL}/clusters/root:after`, 'new ones get it')
  const shard = await requestURL(`${topo.root.baseURL}/clusters/root/apis/core.kcp.io/v1alpha1/shards/alpha`, { ca, cert: topo.pki.admin })
  t.match(shard.json(), { spec: { baseURL: topo.shards.get('alpha')?.baseURL, externalURL: proxyURL } })
  const lc = await requestURL(`${topo.shards.get('alpha')?.baseURL}/clusters/${before.cluster}/apis/core.kcp.io/v1alpha1/logicalclusters/cluster`, { ca, cert: topo.pki.admin })
  t.equal(lc.json<{ status: { URL: string } }>().status.URL, `${proxyURL}/clusters/root:before`)
  const get = await kubectl.run(['get', 'ws', 'after'])
  t.match(get.stdout, `${proxyURL}/clusters/root:after`, 'what kubectl get ws shows')
  await topo.setExternalURL(undefined)
  t.equal((await workspace('before')).spec.URL, `${topo.shards.get('alpha')?.baseURL}/clusters/root:before`, 'undefined goes back to the shard URLs')
  await t.rejects(topo.setExternalURL('not a url'))
})
