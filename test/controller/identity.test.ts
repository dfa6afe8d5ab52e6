import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KubeClient } from '../../src/kube/client.js'
import { decorateWildcardPath, resolveIdentities, IdentityError } from '../../src/controller/identity.js'

const ids = new Map([
  ['tenancy.kcp.io', 'T1'],
  ['topology.kcp.io', 'P1'],
  ['shards.core.kcp.io', 'S1'],
  ['migration.kcp.io', 'M1'],
])

t.test('decorateWildcardPath (spec §4.3)', async (t) => {
  const cases: { path: string; want?: string; err?: RegExp; identities?: Map<string, string> }[] = [
    { path: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces', want: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces:T1' },
    { path: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces?watch=true&resourceVersion=5', want: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces:T1?watch=true&resourceVersion=5' },
    { path: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces/ws1/status', want: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces:T1/ws1/status' },
    { path: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspacetypes', want: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspacetypes:T1' },
    { path: '/clusters/*/apis/topology.kcp.io/v1alpha1/partitions', want: '/clusters/*/apis/topology.kcp.io/v1alpha1/partitions:P1' },
    { path: '/clusters/*/apis/core.kcp.io/v1alpha1/shards', want: '/clusters/*/apis/core.kcp.io/v1alpha1/shards:S1' },
    { path: '/clusters/*/apis/migration.kcp.io/v1alpha1/logicalclustermigrations', want: '/clusters/*/apis/migration.kcp.io/v1alpha1/logicalclustermigrations:M1' },
    { path: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces:T1', want: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces:T1', },
    { path: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces:EVIL', err: /invalid identity "EVIL" for resource "workspaces"/ },
    { path: '/clusters/*/apis/tenancy.kcp.io/v1alpha1/workspaces', identities: new Map(), err: /identity for tenancy.kcp.io\/workspaces is unknown/ },
    { path: '/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters', want: '/clusters/*/apis/core.kcp.io/v1alpha1/logicalclusters', identities: new Map() },
    { path: '/clusters/*/apis/core.kcp.io/v1alpha1/partitions', want: '/clusters/*/apis/core.kcp.io/v1alpha1/partitions' },
    { path: '/clusters/*/apis/apps/v1/deployments', want: '/clusters/*/apis/apps/v1/deployments' },
    { path: '/clusters/*/apis/tenancy.kcp.io/v1alpha1', want: '/clusters/*/apis/tenancy.kcp.io/v1alpha1' },
    { path: '/clusters/root/apis/core.kcp.io/v1alpha1/shards', want: '/clusters/root/apis/core.kcp.io/v1alpha1/shards' },
    { path: '/clusters/*/api/v1/configmaps', want: '/clusters/*/api/v1/configmaps' },
  ]
  for (const c of cases) {
    const identities = c.identities ?? ids
    if (c.err) t.throws(() => decorateWildcardPath(c.path, identities), c.err, c.path)
    else t.equal(decorateWildcardPath(c.path, identities), c.want, c.path)
  }
  t.throws(() => decorateWildcardPath('/clusters/*/apis/tenancy.kcp.io/v1/workspaces', new Map()), IdentityError)
})

t.test('resolveIdentities polls until every APIExport has a non-empty identityHash', async (t) => {
  let calls = 0
  const server = createServer((req, res) => {
    calls++
    const name = /apiexports\/(.+)$/.exec(req.url ?? '')?.[1] ?? ''
    const ready = calls > 6 // the first round and a half: not ready / missing
    if (name === 'migration.kcp.io' && calls <= 4) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"kind":"Status","code":404}')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ metadata: { name }, status: { identityHash: ready || name === 'tenancy.kcp.io' ? `hash-${name}` : '' } }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const client = new KubeClient({ server: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), insecureSkipTLSVerify: false, file: 't' })
  t.teardown(async () => {
    await client.close()
    await new Promise<void>((r) => server.close(() => r()))
  })
  const failures: string[] = []
  const got = await resolveIdentities(client, { intervalMs: 10, onAttemptFailed: (m) => failures.push(m) })
  t.same(Object.fromEntries(got), {
    'tenancy.kcp.io': 'hash-tenancy.kcp.io',
    'topology.kcp.io': 'hash-topology.kcp.io',
    'shards.core.kcp.io': 'hash-shards.core.kcp.io',
    'migration.kcp.io': 'hash-migration.kcp.io',
  })
  t.match(failures[0], /APIExport topology.kcp.io is not ready/)
  t.match(failures[0], /APIExport migration.kcp.io: HTTP 404/)
})

t.test('resolveIdentities rejects when aborted (no endless loop after stop)', async (t) => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"status":{}}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const client = new KubeClient({ server: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), insecureSkipTLSVerify: false, file: 't' })
  t.teardown(async () => {
    await client.close()
    await new Promise<void>((r) => server.close(() => r()))
  })
  const ac = new AbortController()
  // Aborted on the evidence that it is retrying (an attempt failed), not after a guessed time.
  let failed = 0
  const p = resolveIdentities(client, { intervalMs: 20, signal: ac.signal, onAttemptFailed: () => { if (++failed === 2) ac.abort() } })
  await t.rejects(p)
  t.equal(failed, 2, 'no attempt after the abort')
})
