// A WAC added, changed and deleted while a client uses it: the emulator as shards, the real index
// controller watching them, the workspace authenticators built from what it feeds.
import t from 'tap'
import { pino } from 'pino'
import { createWorkspaceAuthentication } from '../../../src/auth/workspace/index.js'
import { AuthConfigIndex } from '../../../src/index/index.js'
import { startHarness } from '../../controller/fixtures/harness.js'
import { eventually } from '../../fixtures/eventually.js'
import { LogCapture, tempDir, TestIssuer } from '../fixtures.js'
import { bearer, jwtFor } from './fixtures.js'

t.test('WAC added, changed and deleted while in use', async (t) => {
  const dir = tempDir(t)
  const [issA, issB] = await Promise.all([TestIssuer.start(t, dir), TestIssuer.start(t, dir)])
  const authIndex = new AuthConfigIndex()
  const { topo, controller, registry } = await startHarness(t, { shards: ['root', 'alpha'], authIndex })
  const log = new LogCapture()
  const workspace = createWorkspaceAuthentication({ apiAudiences: [] }, { index: authIndex, logger: log.logger, registry, timing: { cooldownMs: 0 } })
  t.teardown(() => workspace.close())
  await controller.whenReady()
  await topo.createWorkspace('root', 'org', { shard: 'alpha' })
  await topo.putWorkspaceType('root:org', 'with-oidc', { authenticationConfigurations: ['my-auth'] })
  const team = await topo.createWorkspace('root:org', 'team', { type: 'root:org:with-oidc', shard: 'root' })
  const tokenA = await issA.token({ email: 'a@example.com' })
  const tokenB = await issB.token({ email: 'b@example.com' })
  const use = async (token: string) => {
    const wa = workspace.authenticatorFor('root:org:with-oidc', team.cluster)
    if (wa === undefined) return 'no workspace authentication'
    try {
      return (await wa.authenticate(bearer(token)))?.name ?? 'not ours'
    } catch {
      return 'refused'
    }
  }
  t.equal(await use(tokenA), 'no workspace authentication', 'the type names a WAC that does not exist yet')

  await topo.putAuthConfig('root:org', 'my-auth', { jwt: [jwtFor(issA)] })
  await eventually('token A accepted once the WAC is stored', async () => (await use(tokenA)) === 'oidc:a@example.com')
  t.equal(await use(tokenB), 'not ours', "issuer B's token is not this type's")
  await eventually('readiness reports it ready', () => workspace.readiness().some((c) => c.ok && c.name.endsWith(':my-auth')))

  await topo.putAuthConfig('root:org', 'my-auth', { jwt: [jwtFor(issB)] })
  await eventually('token B accepted after the change', async () => (await use(tokenB)) === 'oidc:b@example.com')
  t.equal(await use(tokenA), 'not ours', 'token A no longer accepted, even though it was cached')

  await topo.putAuthConfig('root:org', 'my-auth', { jwt: [jwtFor(issB, { claimMappings: { username: { claim: 'email' } } })] })
  await eventually('a broken WAC is reported', () => workspace.readiness().some((c) => !c.ok && /not built: .*prefix is required/.test(c.message ?? '')))
  t.equal(await use(tokenB), 'no workspace authentication', 'a WAC that cannot be built accepts nothing')
  t.match(log.text, /WorkspaceAuthenticationConfiguration cannot be built; its tokens are refused/)
  t.match(await registry.metrics(), /kcp_front_proxy_workspace_auth_build_failures_total 1/)
  t.match(await registry.metrics(), /kcp_front_proxy_workspace_auth_configs\{state="failed"\} 1/)
  t.equal(workspace.readiness().every((c) => c.blocking === false || c.ok), true, 'never blocking')

  await topo.putAuthConfig('root:org', 'my-auth', { jwt: [jwtFor(issB)] })
  await eventually('fixed again', async () => (await use(tokenB)) === 'oidc:b@example.com')
  await topo.deleteAuthConfig('root:org', 'my-auth')
  await eventually('deleted: no workspace authentication', async () => (await use(tokenB)) === 'no workspace authentication')
  t.same(workspace.readiness(), [])
  t.notMatch(log.text, new RegExp(`${tokenA}|${tokenB}`), 'no token in the logs')
})

t.test('WACs already indexed when it is created are built too; close() ends everything', async (t) => {
  const dir = tempDir(t)
  const iss = await TestIssuer.start(t, dir)
  const index = new AuthConfigIndex()
  index.upsertAuthConfig('s1', { metadata: { name: 'w', annotations: { 'kcp.io/cluster': 'lc' } }, spec: { jwt: [jwtFor(iss)] } })
  index.upsertWorkspaceType('s1', { metadata: { name: 't', annotations: { 'kcp.io/cluster': 'lc', 'kcp.io/path': 'root' } }, spec: { authenticationConfigurations: [{ name: 'w' }] } })
  const { Registry } = await import('prom-client')
  const workspace = createWorkspaceAuthentication({ apiAudiences: [] }, { index, logger: pino({ level: 'silent' }), registry: new Registry() })
  await workspace.settled()
  t.equal((await workspace.authenticatorFor('root:t', 'x')!.authenticate(bearer(await iss.token({ email: 'e@x' }))))?.name, 'oidc:e@x')
  t.equal(workspace.authenticatorFor('', 'x'), undefined, 'no type (a mount): no workspace authentication')
  await workspace.close()
  t.equal(workspace.authenticatorFor('root:t', 'x'), undefined, 'closed')
})
