import t, { type Test } from 'tap'
import { WorkspaceIndex } from '../../src/index/index.js'
import { ProxyError } from '../../src/errors.js'
import { loadMappingFile } from '../../src/proxy/mapping.js'
import { compileRouteTable, matchMapping, route, type RouteTable } from '../../src/proxy/router.js'
import { logicalCluster, mountWorkspace, tmpDir, workspace, writeMapping } from './fixtures/env.js'

const ROOT = 'https://root.example:6443'
const ALPHA = 'https://alpha.example:6443'
const VW = 'https://vw.example:6443'

function index(): WorkspaceIndex {
  const idx = new WorkspaceIndex()
  idx.upsertShard('root', ROOT)
  idx.upsertShard('alpha', `${ALPHA}/`)
  idx.upsertLogicalCluster('root', logicalCluster('root'))
  idx.upsertWorkspace('root', workspace('org', 'root', 'orgcluster'))
  idx.upsertLogicalCluster('alpha', logicalCluster('orgcluster'))
  idx.upsertWorkspace('alpha', workspace('team', 'orgcluster', 'teamcluster'))
  idx.upsertLogicalCluster('root', logicalCluster('teamcluster'))
  idx.upsertWorkspace('root', workspace('down', 'root', 'downcluster', 'Unavailable'))
  idx.upsertLogicalCluster('root', logicalCluster('downcluster'))
  idx.upsertWorkspace('root', mountWorkspace('mnt', 'root', `${VW}/services/custom/proxy`))
  idx.upsertWorkspace('root', mountWorkspace('loop', 'root', 'https://other-proxy:443/clusters/elsewhere'))
  return idx
}

async function table(t: Test, entries: { path: string; backend: string }[]): Promise<RouteTable> {
  const dir = tmpDir(t)
  const file = await writeMapping(dir, entries)
  return compileRouteTable(await loadMappingFile(file))
}

type Want = { origin: string; path: string; shard?: string; cluster?: string; mapping?: string } | { status: number; message?: string }

function check(t: Test, tb: RouteTable, idx: WorkspaceIndex, cases: [string, string, Want][]): void {
  for (const [method, url, want] of cases) {
    const q = url.indexOf('?')
    const r = route(tb, idx, method, q < 0 ? url : url.slice(0, q), q < 0 ? '' : url.slice(q))
    if ('status' in want) {
      t.type(r, ProxyError, `${method} ${url} is an error`)
      if (r instanceof ProxyError) {
        t.equal(r.status, want.status, `${method} ${url} status`)
        if (want.message !== undefined) t.equal(r.message, want.message, `${method} ${url} message`)
      }
      continue
    }
    if (r instanceof ProxyError) {
      t.fail(`${method} ${url}: unexpected ${r.status} ${r.message}`)
      continue
    }
    t.equal(r.origin, want.origin, `${method} ${url} origin`)
    t.equal(r.path, want.path, `${method} ${url} path`)
    if (want.shard !== undefined) t.equal(r.shard, want.shard, `${method} ${url} shard`)
    if (want.cluster !== undefined) t.equal(r.cluster, want.cluster, `${method} ${url} cluster`)
    if (want.mapping !== undefined) t.equal(r.mapping.path, want.mapping, `${method} ${url} mapping`)
  }
}

t.test('the kcp-operator mapping (/clusters/ + /services/): workspace paths, LC names, errors', async (t) => {
  const tb = await table(t, [
    { path: '/clusters/', backend: ROOT },
    { path: '/services/', backend: `${VW}/base?vw=1` },
  ])
  const idx = index()
  check(t, tb, idx, [
    ['GET', '/clusters/root/api/v1/namespaces', { origin: ROOT, path: '/clusters/root/api/v1/namespaces', shard: 'root', cluster: 'root' }],
    ['GET', '/clusters/root:org/api/v1/namespaces?watch=true&rv=1', { origin: ALPHA, path: '/clusters/orgcluster/api/v1/namespaces?watch=true&rv=1', shard: 'alpha', cluster: 'orgcluster' }],
    ['GET', '/clusters/root:org:team/apis', { origin: ROOT, path: '/clusters/teamcluster/apis', shard: 'root', cluster: 'teamcluster' }],
    ['GET', '/clusters/orgcluster/api', { origin: ALPHA, path: '/clusters/orgcluster/api', cluster: 'orgcluster' }],
    ['GET', '/clusters/root%3Aorg/api', { origin: ALPHA, path: '/clusters/orgcluster/api' }],
    ['GET', '/clusters/root:org', { origin: ALPHA, path: '/clusters/orgcluster' }],
    ['GET', '/clusters/root:org/', { origin: ALPHA, path: '/clusters/orgcluster/' }],
    // The client's percent-encoding of the rest is kept (upstream decodes %2F to /).
    ['GET', '/clusters/root:org/api/v1/namespaces/default/configmaps/a%2Fb', { origin: ALPHA, path: '/clusters/orgcluster/api/v1/namespaces/default/configmaps/a%2Fb' }],
    ['DELETE', '/clusters/root:nope/api/v1/namespaces', { status: 403, message: 'forbidden: User "" cannot delete path "/clusters/root:nope/api/v1/namespaces": workspace access not permitted' }],
    ['GET', '/clusters/ROOT/api', { status: 403 }],
    ['GET', '/clusters/*/api/v1/configmaps', { status: 403 }],
    ['GET', '/clusters/system:admin/api', { status: 403 }],
    ['GET', '/clusters/root:down/api', { status: 503, message: 'Not available.' }],
    // Mounts: a /services/ mount URL goes to the /services/ mapping's backend, a /clusters/ one to its own host.
    ['GET', '/clusters/root:mnt/api/v1/pods', { origin: VW, path: '/base/services/custom/proxy/api/v1/pods?vw=1', mapping: '/services/' }],
    ['GET', '/clusters/root:loop/api?x=1', { origin: 'https://other-proxy:443', path: '/clusters/elsewhere/api?x=1', mapping: '/clusters/' }],
    // /services/: cluster extraction for the lookup, URL unchanged.
    ['GET', '/services/apis/clusters/root:org/apis/x/v1', { origin: VW, path: '/base/services/apis/clusters/root:org/apis/x/v1?vw=1', shard: 'alpha', cluster: 'orgcluster' }],
    ['GET', '/services/apis/clusters/*/apis/x/v1?a=b', { origin: VW, path: '/base/services/apis/clusters/*/apis/x/v1?vw=1&a=b', shard: '' }],
    ['GET', '/services/apis/apis/x/v1', { origin: VW, path: '/base/services/apis/apis/x/v1?vw=1', shard: '' }],
    ['GET', '/services/apis/clusters/root:nope/apis', { status: 403 }],
    ['GET', '/services/apis/clusters/root:down/apis', { status: 503 }],
    ['GET', '/services', { origin: VW, path: '/base/services?vw=1' }],
    // No mapping and no default: 404.
    ['GET', '/version', { status: 404 }],
    ['GET', '/servicesX/a', { status: 404 }],
    ['GET', '/clusters/', { status: 404 }],
  ])
})

t.test('user: paths resolve to the home workspace', async (t) => {
  const tb = await table(t, [{ path: '/clusters/', backend: ROOT }])
  const idx = index()
  // Home clusters live under the root shard's `user` parent; index them the way the controller does.
  const { homeClusterName } = await import('../../src/index/index.js')
  const home = homeClusterName('alice')
  idx.upsertLogicalCluster('alpha', logicalCluster(home))
  check(t, tb, idx, [
    ['GET', '/clusters/user:alice/api', { origin: ALPHA, path: `/clusters/${home}/api`, shard: 'alpha', cluster: home }],
    ['GET', '/clusters/user:bob/api', { status: 403 }],
  ])
})

t.test('a / default mapping works next to /clusters/ (upstream panics at startup)', async (t) => {
  const tb = await table(t, [
    { path: '/clusters/', backend: ROOT },
    { path: '/', backend: `${VW}/` },
  ])
  check(t, tb, index(), [
    ['GET', '/version?timeout=5s', { origin: VW, path: '/version?timeout=5s', mapping: '/', shard: '' }],
    ['GET', '/clusters/root:org/api', { origin: ALPHA, path: '/clusters/orgcluster/api' }],
    ['GET', '/clusters/', { origin: VW, path: '/clusters/' }],
    ['GET', '/clusters/root:nope/api', { status: 403 }],
  ])
})

t.test('longest prefix wins; {cluster} placeholders match one segment', async (t) => {
  const tb = await table(t, [
    { path: '/clusters/', backend: ROOT },
    { path: '/e2e/clusters/{cluster}', backend: 'https://localhost:2443' },
    { path: '/services/', backend: VW },
    { path: '/services/special/', backend: 'https://special:1' },
  ])
  check(t, tb, index(), [
    ['GET', '/services/special/x', { origin: 'https://special:1', path: '/services/special/x' }],
    ['GET', '/services/specialx', { origin: VW, path: '/services/specialx' }],
    ['GET', '/e2e/clusters/root:org/api/v1', { origin: 'https://localhost:2443', path: '/e2e/clusters/root:org/api/v1', cluster: 'orgcluster', shard: 'alpha' }],
    ['GET', '/e2e/clusters/root:org', { origin: 'https://localhost:2443', path: '/e2e/clusters/root:org' }],
    ['GET', '/e2e/clusters/root:nope/api', { status: 403 }],
    ['GET', '/e2e/clusters/', { status: 404 }],
    ['GET', '/e2e/clusters', { status: 404 }],
  ])
})

t.test('without a /clusters/ mapping there is no cluster resolver (as upstream): prefix mappings forward without lookup', async (t) => {
  const tb = await table(t, [{ path: '/services/', backend: VW }])
  check(t, tb, index(), [
    ['GET', '/services/x/clusters/root:nope/api', { origin: VW, path: '/services/x/clusters/root:nope/api', shard: '' }],
    ['GET', '/clusters/root/api', { status: 404 }],
  ])
})

t.test('matchMapping on literal and placeholder patterns', async (t) => {
  const dir = tmpDir(t)
  const ms = await loadMappingFile(await writeMapping(dir, [
    { path: '/services/', backend: VW },
    { path: '/a/{cluster}/b/', backend: VW },
  ]))
  t.equal(matchMapping(ms[0], '/services'), '')
  t.equal(matchMapping(ms[0], '/services/x'), '')
  t.equal(matchMapping(ms[0], '/servicesx'), undefined)
  t.equal(matchMapping(ms[1], '/a/root%3Ax/b/c'), 'root:x')
  t.equal(matchMapping(ms[1], '/a/root/b'), 'root')
  t.equal(matchMapping(ms[1], '/a/root/bc'), undefined)
  t.equal(matchMapping(ms[1], '/a//b'), undefined)
})
