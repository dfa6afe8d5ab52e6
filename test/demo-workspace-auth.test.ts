// The demo's partner workspace type: its token is accepted by the workspace authentication the
// front-proxy builds (controller → index → authenticator), scoped to the partner workspace.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { createWorkspaceAuthentication } from '../src/auth/workspace/index.js'
import { PARTNER_TYPE, PARTNER_WORKSPACE, startWorkspaceAuthDemo } from '../src/demo-workspace-auth.js'
import { AuthConfigIndex } from '../src/index/index.js'
import { startHarness } from './controller/fixtures/harness.js'
import { eventually } from './fixtures/eventually.js'
import { tempDir } from './auth/fixtures.js'

t.test('the partner IdP token works in the partner workspace', async (t) => {
  const authIndex = new AuthConfigIndex()
  const { topo, controller, registry } = await startHarness(t, { authIndex, before: async (topo) => void (await topo.createWorkspace('root', 'org', { shard: 'alpha' })) })
  const workspace = createWorkspaceAuthentication({ apiAudiences: [] }, { index: authIndex, logger: pino({ level: 'silent' }), registry })
  t.teardown(() => workspace.close())
  await controller.whenReady()
  const dir = tempDir(t)
  const demo = await startWorkspaceAuthDemo(topo, dir)
  t.teardown(() => demo.close())
  const cluster = topo.resolvePath(PARTNER_WORKSPACE)!.cluster
  const token = readFileSync(demo.tokenFile, 'utf8')
  await eventually('partner type known', () => workspace.authenticatorFor(PARTNER_TYPE, cluster) !== undefined)
  const user = await workspace.authenticatorFor(PARTNER_TYPE, cluster)!.authenticate({ headers: { authorization: `Bearer ${token}` }, peerCertificates: [] })
  t.same(user, {
    name: 'partner:alice@partner.example',
    groups: ['partner:engineers', 'system:authenticated'],
    extra: { 'authentication.kcp.io/scopes': [`cluster:${cluster}`], 'authentication.kcp.io/cluster-name': [cluster] },
  })
  const kubeconfig = await demo.writeKubeconfig('https://127.0.0.1:1', '/ca.crt')
  t.match(readFileSync(kubeconfig, 'utf8'), `server: https://127.0.0.1:1/clusters/${PARTNER_WORKSPACE}`)
  t.match(demo.instructions().join('\n'), `kubectl --kubeconfig ${kubeconfig} auth whoami`)
})
