import t from 'tap'
import { completeOptions, defaultDropGroups } from '../../src/config/complete.js'
import type { FrontProxyInput } from '../../src/config/types.js'

const cwd = '/work/here'

t.test('cli and embedded defaults follow the spec and differ only where meant to', async (t) => {
  const cli = completeOptions({}, 'cli', { cwd })
  const emb = completeOptions({}, 'embedded', { cwd })
  t.equal(cli.completed, true)
  t.match(cli.secureServing, { bindAddress: '0.0.0.0', securePort: 443, certDir: '/work/here/.kcp', tlsMinVersion: 'VersionTLS12', http2MaxStreamsPerConnection: 100, disableHttp2Serving: false })
  t.match(emb.secureServing, { bindAddress: '127.0.0.1', securePort: 0 })
  t.match(cli.authentication, {
    oidcUsernameClaim: 'sub', oidcSigningAlgs: ['RS256'], serviceAccountIssuers: ['https://kcp.default.svc'], serviceAccountLookup: true,
    authenticationDropGroups: [...defaultDropGroups], authenticationPassOnGroups: [], authenticationTokenWebhookVersion: 'v1beta1',
    authenticationTokenWebhookCacheTTL: '2m0s', oidcIssuers: [],
  })
  t.same(defaultDropGroups, ['system:masters', 'system:kcp:logical-cluster-admin', 'system:kcp:initializer:*', 'system:kcp:terminator:*'])
  t.match(cli.proxy, { rootDirectory: '/work/here/.kcp', mappingFile: '', corsAllowedOrigins: [] })
  t.match(cli.logging, { v: 2, loggingFormat: 'json', logFlushFrequency: '5s' })
  t.match(cli.extra, { shutdownDelaySeconds: 0, shutdownTimeoutSeconds: 60, shardSyncTimeoutSeconds: 30, goawayChance: 0, backendProtocol: 'auto', backendMaxConnections: 128, featureGates: { WorkspaceAuthentication: false } })
  t.equal(emb.extra.shutdownTimeoutSeconds, 5)
})

t.test('paths: root dir absolute, cert dir defaults to / joins onto root dir, files absolute', async (t) => {
  const cases: [string, object, object][] = [
    ['relative root dir', { proxy: { rootDirectory: 'state' } }, { proxy: { rootDirectory: '/work/here/state' }, secureServing: { certDir: '/work/here/state' } }],
    ['relative cert dir under root dir', { proxy: { rootDirectory: '/r' }, secureServing: { certDir: 'certs' } }, { secureServing: { certDir: '/r/certs' } }],
    ['absolute cert dir kept', { secureServing: { certDir: '/etc/certs' } }, { secureServing: { certDir: '/etc/certs' } }],
    ['files resolved against cwd', { proxy: { mappingFile: 'm.yaml', shardsKubeconfig: '../s.kubeconfig' }, authentication: { clientCAFile: 'ca.crt', serviceAccountKeyFiles: ['a.pem'] } },
      { proxy: { mappingFile: '/work/here/m.yaml', shardsKubeconfig: '/work/s.kubeconfig' }, authentication: { clientCAFile: '/work/here/ca.crt', serviceAccountKeyFiles: ['/work/here/a.pem'] } }],
    ['sni files resolved', { secureServing: { tlsSniCertKey: [{ certFile: 'a.crt', keyFile: 'a.key', domains: ['a.io'] }] } },
      { secureServing: { tlsSniCertKey: [{ certFile: '/work/here/a.crt', keyFile: '/work/here/a.key', domains: ['a.io'] }] } }],
    ['empty file flags stay empty', {}, { secureServing: { tlsCertFile: '' }, authentication: { tokenAuthFile: '' }, extra: { shardPeerKubeconfigs: [] } }],
    ['shard peer kubeconfigs resolved, order kept', { extra: { shardPeerKubeconfigs: ['b.kubeconfig', '/etc/a.kubeconfig'] } }, { extra: { shardPeerKubeconfigs: ['/work/here/b.kubeconfig', '/etc/a.kubeconfig'] } }],
  ]
  for (const [name, input, want] of cases) t.match(completeOptions(input, 'cli', { cwd }), want, name)
})

t.test('explicit values beat defaults, including empty lists and zero', async (t) => {
  const o = completeOptions({
    authentication: { authenticationDropGroups: [], serviceAccountLookup: false, serviceAccountIssuers: ['https://a'] },
    secureServing: { securePort: 0, http2MaxStreamsPerConnection: 250 },
    logging: { v: 0 },
    extra: { featureGates: { WorkspaceAuthentication: false }, shutdownTimeoutSeconds: 0 },
  }, 'cli', { cwd })
  t.same(o.authentication.authenticationDropGroups, [])
  t.equal(o.authentication.serviceAccountLookup, false)
  t.same(o.authentication.serviceAccountIssuers, ['https://a'])
  t.equal(o.secureServing.securePort, 0)
  t.equal(o.secureServing.http2MaxStreamsPerConnection, 250)
  t.equal(o.logging.v, 0)
  t.equal(o.extra.shutdownTimeoutSeconds, 0)
})

t.test('embedded OIDC issuers get the single-issuer defaults', async (t) => {
  const o = completeOptions({ authentication: { oidcIssuers: [{ issuerURL: 'https://i', clientID: 'c' }] } }, 'embedded', { cwd })
  t.same(o.authentication.oidcIssuers, [{ issuerURL: 'https://i', clientID: 'c', caFile: '', usernameClaim: 'sub', usernamePrefix: '', groupsClaim: '', groupsPrefix: '', signingAlgs: ['RS256'], requiredClaims: {} }])
})

t.test('completing does not mutate the input', async (t) => {
  const input = { authentication: { authenticationPassOnGroups: ['a'] }, extra: { featureGates: {} } }
  const before = JSON.stringify(input)
  const o = completeOptions(input, 'cli', { cwd })
  o.extra.featureGates.X = true
  t.equal(JSON.stringify(input), before)
})

t.test('the protocol to the shards: --backend-protocol, else the older --backend-http2 (true = http2, false = the default auto)', async (t) => {
  const cases: [string, FrontProxyInput['extra'], string][] = [
    ['nothing given', {}, 'auto'],
    ['--backend-http2', { backendHttp2: true }, 'http2'],
    ['--backend-http2=false', { backendHttp2: false }, 'auto'],
    ['--backend-protocol=http1', { backendProtocol: 'http1' }, 'http1'],
    ['both, agreeing', { backendHttp2: true, backendProtocol: 'http2' }, 'http2'],
  ]
  for (const [name, extra, want] of cases) t.equal(completeOptions({ extra }, 'embedded').extra.backendProtocol, want, name)
})


t.test('textual values are parsed once into typed fields beside them', async (t) => {
  const o = completeOptions({
    secureServing: { tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], tlsCurvePreferences: ['X25519'], tlsMinVersion: 'VersionTLS13' },
    proxy: { corsAllowedOrigins: ['(?i)^https://a\\.io$', '//b\\.io$'] },
    logging: { logFlushFrequency: '1m30s' },
    extra: { metricsBindAddress: '[::1]:9090' },
  }, 'cli', { cwd })
  t.same(o.secureServing.tls, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', ecdhCurve: 'X25519', minVersion: 'TLSv1.3' })
  t.same(o.proxy.corsOrigins.map((r) => [r.source, r.flags]), [['^https:\\/\\/a\\.io$', 'i'], ['\\/\\/b\\.io$', '']])
  t.equal(o.logging.logFlushSeconds, 90)
  t.same(o.extra.metricsListen, { host: '::1', port: 9090 })
  t.same(o.problems, [])

  const d = completeOptions({}, 'cli', { cwd })
  t.same(d.secureServing.tls, { minVersion: 'TLSv1.2' })
  t.same(d.proxy.corsOrigins, [])
  t.equal(d.logging.logFlushSeconds, 5, 'the 5s default')
  t.equal(d.extra.metricsListen, undefined, 'no plain metrics listener')
})

t.test('what cannot be parsed is left out and kept as a problem for validateOptions; wrong types do not throw', async (t) => {
  const o = completeOptions({ proxy: { corsAllowedOrigins: ['ok', '(unclosed'] }, extra: { metricsBindAddress: 'metrics' } }, 'cli', { cwd })
  t.same(o.proxy.corsOrigins.map((r) => r.source), ['ok'])
  t.equal(o.extra.metricsListen, undefined)
  t.match(o.problems, [
    { flag: 'cors-allowed-origins', message: /^--cors-allowed-origins: "\(unclosed" is not a valid regular expression/ },
    { flag: 'metrics-bind-address', message: '--metrics-bind-address: "metrics" must be host:port with an IP (or empty) host and a port 0..65535' },
  ])
  const wrong = completeOptions({
    secureServing: { tlsCipherSuites: 'x' as unknown as string[] },
    proxy: { corsAllowedOrigins: 'x' as unknown as string[] },
    logging: { logFlushFrequency: 5 as unknown as string },
    extra: { metricsBindAddress: 9090 as unknown as string },
  }, 'embedded', { cwd })
  t.same([wrong.secureServing.tls, wrong.proxy.corsOrigins, wrong.logging.logFlushSeconds, wrong.extra.metricsListen, wrong.problems], [{ minVersion: 'TLSv1.2' }, [], 5, undefined, []])
})

t.test('allOIDCIssuers: the --oidc-* flags first, then the given issuers, each completed', async (t) => {
  const none = completeOptions({}, 'cli', { cwd })
  t.same(none.authentication.allOIDCIssuers, [])
  const o = completeOptions({
    authentication: { oidcIssuerURL: 'https://a', oidcClientID: 'ca', oidcCAFile: 'ca.pem', oidcRequiredClaim: { hd: 'x' }, oidcIssuers: [{ issuerURL: 'https://b', clientID: 'cb', signingAlgs: ['ES256'] }] },
  }, 'cli', { cwd })
  t.same(o.authentication.allOIDCIssuers, [
    { issuerURL: 'https://a', clientID: 'ca', caFile: '/work/here/ca.pem', usernameClaim: 'sub', usernamePrefix: '', groupsClaim: '', groupsPrefix: '', signingAlgs: ['RS256'], requiredClaims: { hd: 'x' } },
    { issuerURL: 'https://b', clientID: 'cb', caFile: '', usernameClaim: 'sub', usernamePrefix: '', groupsClaim: '', groupsPrefix: '', signingAlgs: ['ES256'], requiredClaims: {} },
  ])
})
