// /metrics of a front-proxy in front of the emulated topology has the families operators alert on in
// upstream's: process_*, authentication_attempts, authentication_duration_seconds,
// authenticated_user_requests and authentication_token_cache_*, counted from real requests.
import t from 'tap'
import { createFrontProxy } from '../../src/server/index.js'
import { h1 } from '../proxy/fixtures/client.js'
import { proxyTopology } from './fixtures/topology.js'

const { files, tlsCertFile, tlsPrivateKeyFile, ca, admin } = await proxyTopology(t)
const proxy = await createFrontProxy({
  proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
  secureServing: { tlsCertFile, tlsPrivateKeyFile },
  // A token file: bearer tokens are verified here, through the token cache.
  authentication: { clientCAFile: files.clientCACert, tokenAuthFile: files.tokenCsv },
})
t.teardown(() => proxy.close())
const path = '/clusters/root:org/api/v1/namespaces/default'

t.test('the families count what happened', async (t) => {
  t.equal((await h1(`${proxy.url}${path}`, ca, admin)).status, 200)
  for (let i = 0; i < 2; i++) t.equal((await h1(`${proxy.url}${path}`, ca, { headers: { authorization: 'Bearer user-token' } })).status, 200)
  t.equal((await h1(`${proxy.url}${path}`, ca, { headers: { authorization: 'Bearer nope' } })).status, 401)
  // The admin certificate is in system:kcp:admin (kept by the default drop groups), which may read /metrics.
  const m = await h1(`${proxy.url}/metrics`, ca, admin)
  t.equal(m.status, 200, m.body)
  const lines = new Set(m.body.split('\n'))
  const has = (line: string): void => { t.ok(lines.has(line), line) }
  has('authentication_attempts{result="success"} 4')
  has('authentication_attempts{result="failure"} 1')
  has('authenticated_user_requests{username="admin"} 2')
  has('authenticated_user_requests{username="other"} 2')
  has('authentication_duration_seconds_count{result="success"} 4')
  has('authentication_token_cache_request_total{status="miss"} 2')
  has('authentication_token_cache_request_total{status="hit"} 1')
  has('authentication_token_cache_fetch_total{status="ok"} 2')
  has('authentication_token_cache_active_fetch_count{status="in_flight"} 0')
  for (const family of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'process_max_fds', 'process_start_time_seconds', 'process_virtual_memory_bytes']) {
    t.match(m.body, new RegExp(`^${family} \\d`, 'm'), family)
  }
  t.match(m.body, /^# HELP authentication_attempts \[ALPHA\] Counter of authenticated attempts\.$/m)
  t.match(m.body, /^kcp_front_proxy_authentication_total\{method="x509",result="success"\} 2$/m, 'ours are kept')
})
