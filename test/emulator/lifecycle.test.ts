// Harness controls: stop/start on the same port with the store kept, add/remove shards, base URL changes,
// API-created and mount workspaces, phases, latency, files, discovery shapes, the CLI.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { startTopology } from '../../src/emulator/index.js'
import { openWatch, requestURL } from '../../src/emulator/client.js'
import { eventually } from '../fixtures/eventually.js'

const topo = await startTopology({ shards: ['root', { name: 'alpha', labels: { region: 'eu' } }], schedulingDelayMs: 20 })
t.teardown(() => topo.close())
const ca = topo.pki.servingCA.cert
const admin = { ca, token: 'admin-token' }
const shardsURL = `${topo.root.baseURL}/clusters/root/apis/core.kcp.io/v1alpha1/shards`

t.test('stop/start keeps the port and the store', async (t) => {
  const alpha = topo.shards.get('alpha')!
  const ws = await topo.createWorkspace('root', 'keep', { shard: 'alpha' })
  const url = `${alpha.baseURL}/clusters/${ws.cluster}/api/v1/namespaces/default/configmaps`
  t.equal((await requestURL(url, { ...admin, method: 'POST', contentType: 'application/json', body: '{"metadata":{"name":"kept"}}' })).status, 201)
  const port = alpha.port
  await alpha.stop()
  await t.rejects(requestURL(url, admin), { code: 'ECONNREFUSED' })
  await alpha.start()
  t.equal(alpha.port, port)
  const r = await requestURL(`${url}/kept`, admin)
  t.equal(r.status, 200)
})

t.test('a workspace POSTed through the API is scheduled: Scheduling → Initializing → Ready', async (t) => {
  const w = await openWatch(`${topo.root.baseURL}/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces?watch=true&fieldSelector=metadata.name%3Dviaapi`, admin)
  t.teardown(() => w.close())
  const created = await requestURL(`${topo.root.baseURL}/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces`, { ...admin, method: 'POST', contentType: 'application/json', body: JSON.stringify({ metadata: { name: 'viaapi' }, spec: { location: { selector: { matchLabels: { region: 'eu' } } } } }) })
  t.equal(created.status, 201)
  t.equal(JSON.parse(created.body).status.phase, 'Scheduling')
  const phases: string[] = []
  for (let i = 0; i < 10 && phases[phases.length - 1] !== 'Ready'; i++) {
    const ev = await w.next()
    const phase = (ev?.object as { status?: { phase?: string } }).status?.phase ?? ''
    if (phases[phases.length - 1] !== phase) phases.push(phase)
  }
  t.same(phases, ['Scheduling', 'Initializing', 'Ready'])
  t.equal(topo.resolvePath('root:viaapi')?.shard, 'alpha')
})

t.test('mount workspaces carry spec.URL and no cluster', async (t) => {
  const m = await topo.createWorkspace('root', 'mounted', { mount: { URL: 'https://example.invalid/services/x', ref: { apiVersion: 'contrib.kcp.io/v1alpha1', kind: 'KubeCluster', name: 'x' } } })
  t.same(m, { path: 'root:mounted', cluster: '', shard: '' })
  const r = await requestURL(`${topo.root.baseURL}/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces/mounted`, admin)
  t.match(JSON.parse(r.body), { spec: { URL: 'https://example.invalid/services/x', mount: { ref: { kind: 'KubeCluster' } } }, status: { phase: 'Ready' } })
  t.equal(topo.resolvePath('root:mounted'), undefined)
})

t.test('setWorkspacePhase sets the Workspace and its LogicalCluster phase', async (t) => {
  const ws = await topo.createWorkspace('root', 'flaky', { shard: 'alpha' })
  await topo.setWorkspacePhase('root:flaky', 'Unavailable')
  const w = JSON.parse((await requestURL(`${topo.root.baseURL}/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces/flaky`, admin)).body)
  t.equal(w.status.phase, 'Unavailable')
  const lc = JSON.parse((await requestURL(`${topo.shards.get('alpha')!.baseURL}/clusters/${ws.cluster}/apis/core.kcp.io/v1alpha1/logicalclusters/cluster`, admin)).body)
  t.equal(lc.status.phase, 'Unavailable')
})

t.test('nested workspaces resolve by path and cascade on delete', async (t) => {
  const org = await topo.createWorkspace('root', 'org', { shard: 'root' })
  const team = await topo.createWorkspace('root:org', 'team', { shard: 'alpha' })
  t.equal(team.path, 'root:org:team')
  t.same(topo.resolvePath('root:org:team'), { cluster: team.cluster, shard: 'alpha' })
  t.same(topo.resolvePath(`${org.cluster}:team`), { cluster: team.cluster, shard: 'alpha' })
  const w = await openWatch(`${topo.shards.get('alpha')!.baseURL}/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dcluster`, admin)
  t.teardown(() => w.close())
  t.equal((await w.next())?.type, 'ADDED', 'the watch starts with the current logical clusters')
  await topo.deleteWorkspace('root:org')
  // The rest of the initial ADDED events may arrive in any number of chunks: skip them (bounded).
  let del = await w.next()
  for (let i = 0; i < 100 && del?.type === 'ADDED'; i++) del = await w.next()
  t.match(del, { type: 'DELETED', object: { metadata: { annotations: { 'kcp.io/cluster': team.cluster } } } })
  t.equal(topo.resolvePath('root:org:team'), undefined)
})

t.test('addShard / setShardBaseURL / removeShard keep the Shard objects current', async (t) => {
  const w = await openWatch(`${shardsURL}?watch=true&resourceVersion=0`, admin)
  t.teardown(() => w.close())
  for (let i = 0; i < 2; i++) t.equal((await w.next())?.type, 'ADDED')
  const beta = await topo.addShard('beta', { labels: { region: 'us' } })
  t.match(await w.next(), { type: 'ADDED', object: { metadata: { name: 'beta', labels: { region: 'us' } }, spec: { baseURL: beta.baseURL } } })
  const local = beta.baseURL.replace('127.0.0.1', 'localhost')
  await topo.setShardBaseURL('beta', local)
  t.match(await w.next(), { type: 'MODIFIED', object: { spec: { baseURL: local } } })
  t.equal((await requestURL(`${local}/version`, { ca })).status, 200, 'localhost is in the serving certificate')
  await topo.removeShard('beta')
  t.match(await w.next(), { type: 'DELETED', object: { metadata: { name: 'beta' } } })
  t.notOk(topo.shards.has('beta'))
})

t.test('setLatency delays responses', async (t) => {
  topo.root.setLatency(150)
  const start = Date.now()
  await requestURL(`${topo.root.baseURL}/healthz`, { ca })
  topo.root.setLatency(0)
  t.ok(Date.now() - start >= 140)
})

t.test('discovery: aggregated with the exact content type, legacy otherwise', async (t) => {
  const agg = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'
  const a = await requestURL(`${topo.root.baseURL}/clusters/root/apis`, { ...admin, headers: { accept: agg } })
  t.equal(a.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')
  t.ok(JSON.parse(a.body).items.some((g: { metadata: { name: string } }) => g.metadata.name === 'tenancy.kcp.io'))
  const legacy = JSON.parse((await requestURL(`${topo.root.baseURL}/clusters/root/apis`, admin)).body)
  t.equal(legacy.kind, 'APIGroupList')
  const core = JSON.parse((await requestURL(`${topo.root.baseURL}/clusters/root/api`, admin)).body)
  t.same(core.versions, ['v1'])
  const v1 = JSON.parse((await requestURL(`${topo.root.baseURL}/clusters/root/api/v1`, admin)).body)
  t.ok(v1.resources.some((r: { name: string }) => r.name === 'namespaces/status'))
  t.equal((await requestURL(`${topo.root.baseURL}/clusters/root/apis/tenancy.kcp.io/v1alpha1`, admin)).status, 200)
  t.equal((await requestURL(`${topo.root.baseURL}/clusters/root/openapi/v2`, admin)).status, 404)
})

t.test('kubeconfig and writeFiles', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'emu-files-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const files = await topo.writeFiles(dir)
  const mapping = parse(await readFile(files.mappingYaml, 'utf8')) as { path: string; backend: string; backend_server_ca: string }[]
  t.same(mapping.map((m) => m.path), ['/clusters/', '/services/'])
  t.equal(mapping[0].backend, topo.root.baseURL)
  t.equal(await readFile(mapping[0].backend_server_ca, 'utf8'), ca)
  const kc = parse(await readFile(files.adminKubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }
  t.equal(kc.clusters[0].cluster.server, `${topo.root.baseURL}/clusters/root`)
  t.match(await readFile(files.tokenCsv, 'utf8'), /^admin-token,admin,admin-uid,"system:masters"$/m)
  const tok = parse(topo.kubeconfig({ shard: 'alpha', user: { token: 'user-token' } })) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] }
  t.equal(tok.clusters[0].cluster.server, topo.shards.get('alpha')!.baseURL)
  t.equal(tok.users[0].user.token, 'user-token')
})

t.test('the CLI starts a topology, seeds --workspaces, prints the files and stops on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'emu-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const child = spawn(process.execPath, [...process.execArgv, 'src/emulator/cli.ts', '--dir', dir, '--shards', 'root,alpha', '--log-level', 'silent', '--workspaces', '3'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => child.kill('SIGKILL'))
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  // Generous: the child compiles TypeScript on start, which is slow on a loaded machine.
  // An early exit ends the wait too; the matches below then fail with the CLI's stderr.
  await eventually(() => `the CLI's file list (stderr: ${err})`, () => out.includes('tokenCsv') || child.exitCode !== null, { timeoutMs: 90_000, intervalMs: 50 })
  t.match(out, /^shard root https:\/\/127\.0\.0\.1:\d+$/m, err)
  t.match(out, /^shard alpha https:\/\/127\.0\.0\.1:\d+$/m)
  t.match(out, new RegExp(`^mappingYaml ${dir}/mapping.yaml$`, 'm'))
  const root = /^shard root (\S+)$/m.exec(out)?.[1] ?? ''
  const caFile = /^caCert (\S+)$/m.exec(out)?.[1] ?? ''
  const list = await requestURL(`${root}/clusters/root/apis/tenancy.kcp.io/v1alpha1/workspaces`, { ca: await readFile(caFile, 'utf8'), token: 'admin-token' })
  const items = list.json<{ items: { metadata: { name: string; annotations: Record<string, string> }; status: { phase: string } }[] }>().items
  t.same(items.map((w) => `${w.metadata.name} ${w.status.phase} ${w.metadata.annotations['core.kcp.io/shard']}`), ['ws-0 Ready root', 'ws-1 Ready alpha', 'ws-2 Ready root'], 'seeded round-robin over the shards')
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})

t.test('the CLI refuses a bad --workspaces with a clear message', async (t) => {
  const child = spawn(process.execPath, [...process.execArgv, 'src/emulator/cli.ts', '--dir', tmpdir(), '--workspaces=1.5'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => child.kill('SIGKILL'))
  let err = ''
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  // 'close', not 'exit': only then has all of stderr been read.
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)))
  t.equal(code, 1)
  t.match(err, /--workspaces must be a whole number ≥ 0/)
})
