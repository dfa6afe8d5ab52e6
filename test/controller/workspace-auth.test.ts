import t from 'tap'
import { AuthConfigIndex } from '../../src/index/index.js'
import { eventually } from '../fixtures/eventually.js'
import { metricsMatching, startHarness } from './fixtures/harness.js'

const jwt = (url: string) => [{ issuer: { url, audiences: ['kcp'] }, claimMappings: { username: { claim: 'email', prefix: '' } } }]

t.test('with an auth-config index, every shard\'s WorkspaceTypes and WACs are watched and a shard is synced only with them', async (t) => {
  const authIndex = new AuthConfigIndex()
  let org = { cluster: '' }
  const { topo, controller, registry } = await startHarness(t, {
    shards: ['root', 'alpha', 'beta'],
    authIndex,
    start: false,
    before: async (topo) => {
      org = await topo.createWorkspace('root', 'org', { shard: 'alpha' })
      await topo.putAuthConfig('root:org', 'a', { jwt: jwt('https://a.example.com') })
      await topo.putWorkspaceType('root:org', 'with-oidc', { authenticationConfigurations: ['a'] })
    },
  })
  await controller.start()
  await controller.whenReady()
  // Ready implies the lists were applied: the type resolves from the first request on.
  t.same(authIndex.lookup('root:org:with-oidc'), { shard: 'alpha', cluster: org.cluster, refs: [{ shard: 'alpha', cluster: org.cluster, name: 'a' }] })
  t.match(authIndex.authConfig({ shard: 'alpha', cluster: org.cluster, name: 'a' }), { spec: { jwt: jwt('https://a.example.com') } })
  t.same(controller.readiness().checks.map((c) => `${c.name}=${c.ok}`), ['identities=true', 'shards-synced=true', 'shard:alpha=true', 'shard:beta=true', 'shard:root=true'])

  t.test('a WAC added, changed and deleted while running', async (t) => {
    await topo.putAuthConfig('root:org', 'b', { jwt: jwt('https://b.example.com') })
    await topo.putWorkspaceType('root:org', 'with-oidc', { authenticationConfigurations: ['a', 'b'] })
    await eventually('b added', () => authIndex.lookup('root:org:with-oidc')?.refs.length === 2 && authIndex.authConfig({ shard: 'alpha', cluster: org.cluster, name: 'b' }) !== undefined)
    await topo.putAuthConfig('root:org', 'b', { jwt: jwt('https://b2.example.com') })
    await eventually('b changed', () => JSON.stringify(authIndex.authConfig({ shard: 'alpha', cluster: org.cluster, name: 'b' })?.spec).includes('b2.example.com'))
    await topo.deleteAuthConfig('root:org', 'b')
    await eventually('b deleted', () => authIndex.authConfig({ shard: 'alpha', cluster: org.cluster, name: 'b' }) === undefined)
    await topo.deleteWorkspaceType('root:org', 'with-oidc')
    await eventually('type deleted', () => authIndex.lookup('root:org:with-oidc') === undefined)
    const text = await metricsMatching(registry, /kcp_front_proxy_index_events_total\{shard="alpha",resource="workspaceauthenticationconfigurations",type="delete"\} 1/)
    t.match(text, /resource="workspacetypes",type="delete"\} 1/)
  })

  t.test('a removed shard takes its types and WACs with it', async (t) => {
    await topo.addShard('gamma')
    const g = await topo.createWorkspace('root', 'g', { shard: 'gamma' })
    await topo.putAuthConfig('root:g', 'ga', { jwt: jwt('https://g.example.com') })
    await topo.putWorkspaceType('root:g', 'gt', { authenticationConfigurations: ['ga'] })
    await eventually('gamma type seen', () => authIndex.lookup('root:g:gt')?.shard === 'gamma' && authIndex.authConfig({ shard: 'gamma', cluster: g.cluster, name: 'ga' }) !== undefined)
    await topo.removeShard('gamma')
    await eventually('gamma forgotten', () => authIndex.lookup('root:g:gt') === undefined && authIndex.authConfig({ shard: 'gamma', cluster: g.cluster, name: 'ga' }) === undefined)
    t.same(authIndex.sizes(), { shards: 0, types: 0, configs: 1 }, 'only root:org\'s WAC a is left')
  })
})

t.test('without the gate the resources are not watched', async (t) => {
  const { topo, controller } = await startHarness(t, { shards: ['root'] })
  await controller.whenReady()
  await eventually('shards, workspaces and logicalclusters watched', () => topo.root.stats.openWatches >= 3)
  t.equal(topo.root.stats.openWatches, 3, 'and nothing else')
})
