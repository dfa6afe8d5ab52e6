// The real kubectl on PATH against one emulated shard: discovery (aggregated), protobuf bodies, apply
// (client- and server-side), watch, delete with its wait, whoami, raw /version.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTopology } from '../../src/emulator/index.js'
import { eventually } from '../fixtures/eventually.js'

const topo = await startTopology()
const home = await mkdtemp(join(tmpdir(), 'emu-kubectl-'))
t.teardown(async () => {
  await topo.close()
  await rm(home, { recursive: true, force: true })
})
const kubeconfig = join(home, 'admin.kubeconfig')
await writeFile(kubeconfig, topo.kubeconfig({ cluster: 'root' }))
const bobConfig = join(home, 'bob.kubeconfig')
await writeFile(bobConfig, topo.kubeconfig({ cluster: 'root', user: { token: 'bob-token' } }))

interface Run { code: number; stdout: string; stderr: string }

function kubectl(args: string[], o: { config?: string; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', o.config ?? kubeconfig, '--cache-dir', join(home, 'cache'), ...args], { timeout: 30_000, env: { ...process.env, HOME: home } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
    if (o.input !== undefined) child.stdin?.end(o.input)
  })
}

t.test('get --raw /version reports v1.32 so the dispatcher picks kubectl 1.32', async (t) => {
  const r = await kubectl(['get', '--raw', '/version'])
  t.equal(r.code, 0, r.stderr)
  t.match(JSON.parse(r.stdout), { major: '1', minor: '32', gitVersion: /^v1\.32\./ })
})

t.test('get ns lists the default namespace', async (t) => {
  const r = await kubectl(['get', 'ns'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^default\s+/m)
})

t.test('create configmap (protobuf body) then get it back as JSON', async (t) => {
  const r = await kubectl(['create', 'configmap', 'proto', '--from-literal=a=b', '--from-literal=c=d'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'configmap/proto created')
  const g = await kubectl(['get', 'configmap', 'proto', '-o', 'json'])
  const cm = JSON.parse(g.stdout)
  t.same(cm.data, { a: 'b', c: 'd' })
  t.equal(cm.metadata.annotations['kcp.io/cluster'], 'root')
  t.notOk('generateName' in cm.metadata, 'empty protobuf scalars are dropped')
  const dup = await kubectl(['create', 'configmap', 'proto'])
  t.not(dup.code, 0)
  t.match(dup.stderr, 'configmaps "proto" already exists')
})

t.test('create secret, namespace and serviceaccount (protobuf bodies)', async (t) => {
  t.equal((await kubectl(['create', 'secret', 'generic', 's1', '--from-literal=p=q'])).code, 0)
  const s = JSON.parse((await kubectl(['get', 'secret', 's1', '-o', 'json'])).stdout)
  t.same(s.data, { p: Buffer.from('q').toString('base64') })
  t.equal(s.type, 'Opaque')
  t.equal((await kubectl(['create', 'namespace', 'team'])).code, 0)
  t.equal((await kubectl(['create', 'serviceaccount', 'robot', '-n', 'team'])).code, 0)
  t.match((await kubectl(['get', 'sa', '-n', 'team'])).stdout, /^robot\s/m)
})

t.test('apply -f creates, then updates client-side, then server-side', async (t) => {
  const file = join(home, 'cm.yaml')
  const manifest = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels: {app: demo}\ndata:\n  k: ${v}\n`
  await writeFile(file, manifest('one'))
  let r = await kubectl(['apply', '-f', file])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'configmap/applied created')
  await writeFile(file, manifest('two'))
  r = await kubectl(['apply', '-f', file])
  t.match(r.stdout, 'configmap/applied configured')
  t.equal((await kubectl(['get', 'cm', 'applied', '-o', 'jsonpath={.data.k}'])).stdout, 'two')
  await writeFile(file, manifest('three'))
  r = await kubectl(['apply', '--server-side', '-f', file])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'configmap/applied serverside-applied')
  t.equal((await kubectl(['get', 'cm', 'applied', '-o', 'jsonpath={.data.k}'])).stdout, 'three')
  r = await kubectl(['get', 'cm', '-l', 'app=demo', '-o', 'name'])
  t.equal(r.stdout.trim(), 'configmap/applied')
})

t.test('server-side apply of a new object creates it', async (t) => {
  const file = join(home, 'ssa.yaml')
  await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-new\ndata:\n  x: y\n')
  const r = await kubectl(['apply', '--server-side', '-f', file])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'configmap/ssa-new serverside-applied')
})

t.test('get -w prints objects created while it watches', async (t) => {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'cache'), 'get', 'cm', '-w'], { env: { ...process.env, HOME: home } })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  let out = ''
  const seen = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`watch output so far: ${out}`)), 20_000)
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (/^watched-later\s/m.test(out)) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  // Wait for the initial listing before creating, so the object arrives through the watch.
  await eventually('the initial listing (configmap proto)', () => /^proto\s/m.test(out), { timeoutMs: 10_000, intervalMs: 50 })
  t.equal((await kubectl(['create', 'configmap', 'watched-later'])).code, 0)
  await seen
  t.pass('the watch delivered the new configmap')
})

t.test('delete waits for the object to go away', async (t) => {
  t.equal((await kubectl(['create', 'configmap', 'doomed'])).code, 0)
  const r = await kubectl(['delete', 'configmap', 'doomed'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'configmap "doomed" deleted')
  const g = await kubectl(['get', 'configmap', 'doomed'])
  t.match(g.stderr, 'Error from server (NotFound): configmaps "doomed" not found')
})

t.test('api-resources lists core and kcp resources from aggregated discovery', async (t) => {
  const r = await kubectl(['api-resources'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m)
  t.match(r.stdout, /^workspaces\s+ws\s+tenancy\.kcp\.io\/v1alpha1\s+false\s+Workspace$/m)
  t.match(r.stdout, /^logicalclusters\s+core\.kcp\.io\/v1alpha1\s+false\s+LogicalCluster$/m)
})

t.test('auth whoami shows the client-certificate identity', async (t) => {
  const r = await kubectl(['auth', 'whoami'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /Username\s+admin/)
  t.match(r.stdout, /Groups\s+\[system:masters system:kcp:admin system:authenticated\]/)
})

t.test('auth can-i answers from the emulator authorizer (protobuf SSAR)', async (t) => {
  t.equal((await kubectl(['auth', 'can-i', 'list', 'configmaps'])).stdout.trim(), 'yes')
  const bob = await kubectl(['auth', 'can-i', 'list', 'configmaps'], { config: bobConfig })
  t.equal(bob.stdout.trim(), 'no', bob.stderr)
})

t.test('bob gets the Forbidden Status', async (t) => {
  const r = await kubectl(['get', 'configmaps'], { config: bobConfig })
  t.not(r.code, 0)
  t.match(r.stderr, 'Error from server (Forbidden): configmaps is forbidden: User "bob" cannot list resource "configmaps" in API group "" in the namespace "default"')
})
