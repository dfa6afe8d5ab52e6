// Tables as kubectl asks for them (Accept `as=Table;v=v1;g=meta.k8s.io`): kcp's printer columns for
// Workspaces, LogicalClusters and Shards, Kubernetes' for the built-in kinds, includeObject, one-row
// Tables on watches (column definitions in the first event only), and the age strings.
import t from 'tap'
import { spawn } from 'node:child_process'
import { startTopology } from '../../src/emulator/index.js'
import { openWatch, requestURL } from '../../src/emulator/client.js'
import { humanDuration } from '../../src/emulator/table.js'
import { eventually } from '../fixtures/eventually.js'
import { kubectlRunner } from './fixtures/kubectl.js'

const TBL = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'
const topo = await startTopology({ shards: [{ name: 'root', labels: { region: 'eu' } }] })
t.teardown(() => topo.close())
const ca = topo.pki.servingCA.cert
const base = `${topo.root.baseURL}/clusters/root`
const org = await topo.createWorkspace('root', 'org')
const kubectl = await kubectlRunner(t, topo.kubeconfig({ cluster: 'root' }))
const admin = { ca, cert: topo.pki.admin }

/** Header line and rows of kubectl's table output, columns split on 2+ spaces. */
const table = (out: string): string[][] => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/))

t.test('kubectl get workspaces prints kcp\'s columns NAME TYPE REGION PHASE URL AGE', async (t) => {
  const r = await kubectl.run(['get', 'workspaces'])
  t.equal(r.code, 0, r.stderr)
  const [header, row] = table(r.stdout)
  t.same(header, ['NAME', 'TYPE', 'REGION', 'PHASE', 'URL', 'AGE'])
  t.same(row.slice(0, 4), ['org', 'universal', 'Ready', `${topo.root.baseURL}/clusters/root:org`], 'no region label: an empty cell')
  t.match(row[4], /^\d+s$/)
  const one = await kubectl.run(['get', 'ws', 'org'])
  t.same(table(one.stdout)[0], ['NAME', 'TYPE', 'REGION', 'PHASE', 'URL', 'AGE'], 'a GET by name is a Table too')
})

t.test('built-in kinds get the apiserver\'s printer columns, kcp kinds their CRD columns', async (t) => {
  t.equal((await kubectl.run(['create', 'configmap', 'two', '--from-literal=a=1', '--from-literal=b=2'])).code, 0)
  t.equal((await kubectl.run(['create', 'secret', 'generic', 's', '--from-literal=k=v'])).code, 0)
  t.equal((await kubectl.run(['create', 'serviceaccount', 'robot'])).code, 0)
  const cases: [string[], string[], string[]][] = [
    [['get', 'ns'], ['NAME', 'STATUS', 'AGE'], ['default', 'Active']],
    [['get', 'cm', 'two'], ['NAME', 'DATA', 'AGE'], ['two', '2']],
    [['get', 'secret', 's'], ['NAME', 'TYPE', 'DATA', 'AGE'], ['s', 'Opaque', '1']],
    [['get', 'sa', 'robot'], ['NAME', 'SECRETS', 'AGE'], ['robot', '0']],
    [['get', 'shards'], ['NAME', 'REGION', 'URL', 'EXTERNAL URL', 'AGE'], ['root', 'eu', topo.root.baseURL, topo.root.baseURL]],
    [['get', 'logicalclusters'], ['NAME', 'PHASE', 'URL', 'AGE'], ['cluster', 'Ready', `${topo.root.baseURL}/clusters/root`]],
    [['get', 'apiexports', 'tenancy.kcp.io'], ['NAME', 'AGE'], ['tenancy.kcp.io']],
  ]
  for (const [args, header, row] of cases) {
    const r = await kubectl.run(args)
    t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    const [h, first] = table(r.stdout)
    t.same(h, header, args.join(' '))
    t.same(first.slice(0, row.length), row, args.join(' '))
  }
})

t.test('the Table JSON: media type, column definitions, PartialObjectMetadata rows, includeObject', async (t) => {
  const r = await requestURL(`${base}/apis/tenancy.kcp.io/v1alpha1/workspaces`, { ...admin, headers: { accept: TBL } })
  t.equal(r.status, 200)
  t.equal(r.headers['content-type'], 'application/json;as=Table;v=v1;g=meta.k8s.io')
  const tbl = r.json<{ kind: string; apiVersion: string; metadata: { resourceVersion: string }; columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[]; rows: { cells: unknown[]; object: { kind: string; metadata: { name: string } } }[] }>()
  t.match(tbl, { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: /^\d+$/ } })
  t.same(tbl.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority]), [['Name', 'string', 'name', 0], ['Type', 'string', '', 0], ['Region', 'string', '', 0], ['Phase', 'string', '', 0], ['URL', 'string', '', 0], ['Age', 'date', '', 0]])
  t.equal(tbl.columnDefinitions[5].description, 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp')
  t.same(tbl.rows[0].cells.slice(0, 5), ['org', 'universal', null, 'Ready', `${topo.root.baseURL}/clusters/root:org`])
  t.match(tbl.rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'org', annotations: { 'kcp.io/cluster': 'root' } } })
  const none = await requestURL(`${base}/apis/tenancy.kcp.io/v1alpha1/workspaces/org?includeObject=None`, { ...admin, headers: { accept: TBL } })
  t.equal(none.json<{ rows: { object: unknown }[] }>().rows[0].object, null)
  const full = await requestURL(`${base}/apis/tenancy.kcp.io/v1alpha1/workspaces/org?includeObject=Object`, { ...admin, headers: { accept: TBL } })
  t.match(full.json<{ rows: { object: unknown }[] }>().rows[0].object, { kind: 'Workspace', spec: { cluster: org.cluster } })
  const bad = await requestURL(`${base}/api/v1/namespaces?includeObject=All`, { ...admin, headers: { accept: TBL } })
  t.equal(bad.status, 400)
  t.equal(bad.json<{ message: string }>().message, 'unrecognized includeObject value: "All"')
  const beta = await requestURL(`${base}/api/v1/namespaces`, { ...admin, headers: { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' } })
  t.equal(beta.headers['content-type'], 'application/json;as=Table;v=v1beta1;g=meta.k8s.io')
  t.equal(beta.json<{ apiVersion: string }>().apiVersion, 'meta.k8s.io/v1beta1')
  const plain = await requestURL(`${base}/api/v1/namespaces`, { ...admin, headers: { accept: 'application/json' } })
  t.equal(plain.json<{ kind: string }>().kind, 'NamespaceList', 'no Table unless asked for')
})

t.test('watch with Table: one-row Tables, column definitions only in the first event', async (t) => {
  const w = await openWatch(`${base}/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dwatched`, { ...admin, headers: { accept: TBL } })
  t.teardown(() => w.close())
  t.equal(w.headers['content-type'], 'application/json', 'watch streams keep the plain media type')
  t.equal((await kubectl.run(['create', 'configmap', 'watched'])).code, 0)
  t.equal((await kubectl.run(['label', 'configmap', 'watched', 'x=y'])).code, 0)
  const first = await w.next(10_000)
  const second = await w.next(10_000)
  t.equal(first?.type, 'ADDED')
  t.match(first?.object, { kind: 'Table', columnDefinitions: [{ name: 'Name' }, { name: 'Data' }, { name: 'Age' }], rows: [{ cells: ['watched', 0, /s$/] }] })
  t.equal(second?.type, 'MODIFIED')
  t.equal(second?.object.columnDefinitions, null)
  t.equal((second?.object.rows as { cells: unknown[] }[])[0].cells[0], 'watched')
})

t.test('kubectl get -w prints new objects under the Table columns', async (t) => {
  const child = spawn('kubectl', ['--kubeconfig', `${kubectl.home}/default.kubeconfig`, '--cache-dir', `${kubectl.home}/cache`, 'get', 'ws', '-w'], { env: { PATH: process.env.PATH, HOME: kubectl.home } })
  t.teardown(() => { child.kill('SIGKILL') })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  await eventually('the initial listing', () => /^org\s/m.test(out), { timeoutMs: 20_000 })
  await topo.createWorkspace('root', 'later')
  await eventually('the watched workspace in Ready', () => /^later\s+universal\s+Ready\s/m.test(out), { timeoutMs: 20_000 })
  t.match(out, /^NAME\s+TYPE\s+REGION\s+PHASE\s+URL\s+AGE$/m)
})

t.test('age strings follow the apiserver\'s HumanDuration', async (t) => {
  const s = 1000
  const cases: [number, string][] = [[-5 * s, '<invalid>'], [-500, '0s'], [0, '0s'], [119 * s, '119s'], [120 * s, '2m'], [(5 * 60 + 3) * s, '5m3s'],
    [10 * 60 * s, '10m'], [179 * 60 * s, '179m'], [3 * 3600 * s, '3h'], [(3 * 60 + 5) * 60 * s, '3h5m'], [47 * 3600 * s, '47h'],
    [(2 * 24 + 4) * 3600 * s, '2d4h'], [3 * 24 * 3600 * s, '3d'], [400 * 24 * 3600 * s, '400d'], [(3 * 365 + 12) * 24 * 3600 * s, '3y12d'], [9 * 365 * 24 * 3600 * s, '9y']]
  for (const [ms, want] of cases) t.equal(humanDuration(ms), want, `${ms} ms`)
})
