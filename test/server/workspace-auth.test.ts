// createFrontProxy with --feature-gates=WorkspaceAuthentication=true: the controller watches
// WorkspaceTypes and WACs, and every WAC is a /readyz check that never takes the replica out.
import t from 'tap'
import { h1 } from '../proxy/fixtures/client.js'
import { startE2E } from '../e2e/fixtures/env.js'
import { eventually } from '../fixtures/eventually.js'

t.test('WAC checks in /readyz: reported, never blocking; the gate is accepted', async (t) => {
  const env = await startE2E(t, { clientCertAuth: false, extra: { featureGates: { WorkspaceAuthentication: true } } })
  const { topo, org, proxy, ca } = env
  // Issuer unreachable on purpose: the WAC builds, its keys cannot load.
  await topo.putAuthConfig('root:org', 'good', { jwt: [{ issuer: { url: 'https://127.0.0.1:9', audiences: ['kcp'] }, claimMappings: { username: { claim: 'email', prefix: 'oidc:' } } }] })
  await topo.putAuthConfig('root:org', 'bad', { jwt: [{ issuer: { url: 'http://idp', audiences: ['kcp'] }, claimMappings: { username: { claim: 'email', prefix: '' } } }] })
  const none = { headers: {} }
  const bad = `workspace-auth:alpha:${org.cluster}:bad`
  const good = `workspace-auth:alpha:${org.cluster}:good`
  await eventually('the broken WAC is listed', async () => (await h1(`${proxy.url}/readyz?verbose`, ca, none)).body.includes(`[-]${bad} failed (not blocking)`))
  const v = await h1(`${proxy.url}/readyz?verbose`, ca, none)
  t.equal(v.status, 200)
  t.match(v.body, /readyz check passed/)
  const one = await h1(`${proxy.url}/readyz/${bad}`, ca, none)
  t.equal(one.status, 500)
  t.match(one.body, /not built: spec\.jwt\[0\]\.issuer\.url: Invalid value: "http:\/\/idp": URL scheme must be https/)
  await eventually('the unreachable issuer is named', async () => /keys not loaded: /.test((await h1(`${proxy.url}/readyz/${good}`, ca, none)).body))
  const m = await proxy.registry.metrics()
  t.match(m, /kcp_front_proxy_workspace_auth_configs\{state="failed"\} 1/)
  t.match(m, /kcp_front_proxy_workspace_auth_build_failures_total 1/)
})
