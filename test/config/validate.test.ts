import t from 'tap'
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { completeOptions } from '../../src/config/complete.js'
import { validateOptions } from '../../src/config/validate.js'
import { parseArgs } from '../../src/config/parse.js'
import type { FrontProxyInput } from '../../src/config/types.js'

const dir = mkdtempSync(join(tmpdir(), 'fp-validate-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
for (const f of ['mapping.yaml', 'root.kubeconfig', 'shards.kubeconfig', 'ca.crt', 'tls.crt', 'tls.key', 'tokens.csv', 'sa.pem']) writeFileSync(join(dir, f), 'x')
mkdirSync(join(dir, 'adir'))
const p = (f: string): string => join(dir, f)
const base: FrontProxyInput = { proxy: { mappingFile: p('mapping.yaml'), rootKubeconfig: p('root.kubeconfig'), shardsKubeconfig: p('shards.kubeconfig') } }

function check(input: FrontProxyInput, mode: 'cli' | 'embedded' = 'cli'): string[] {
  const merged: FrontProxyInput = { ...input, proxy: { ...base.proxy, ...input.proxy } }
  return validateOptions(completeOptions(merged, mode, { cwd: dir }))
}
function checkArgs(...argv: string[]): string[] {
  const r = parseArgs(argv)
  if (r.errors.length > 0) throw new Error(r.errors.join('\n'))
  return check(r.input)
}

t.test('a minimal valid configuration has no errors in both modes', async (t) => {
  t.same(check({}), [])
  t.same(check({}, 'embedded'), [])
})

t.test('the upstream required-flag errors, word for word, all at once', async (t) => {
  const errs = validateOptions(completeOptions({}, 'cli', { cwd: dir }))
  t.ok(errs.includes('--mapping-file is required'))
  t.ok(errs.includes('--shards-kubeconfig is required'))
  t.ok(errs.some((e) => e.startsWith('--root-kubeconfig is required by this front-proxy')))
})

t.test('each invalid setting is reported, naming the flag', async (t) => {
  const cases: [string, string[], RegExp][] = [
    ['missing mapping file', ['--mapping-file=nope.yaml'], /^--mapping-file: cannot read .*nope\.yaml: ENOENT$/],
    ['directory as file', [`--client-ca-file=${p('adir')}`], /^--client-ca-file: .*adir is not a regular file$/],
    ['missing sa key', [`--service-account-key-file=${p('sa.pem')}`, '--service-account-key-file=gone.pem'], /^--service-account-key-file: cannot read .*gone\.pem/],
    ['missing shard peer kubeconfig', [`--shard-peer-kubeconfig=${p('shards.kubeconfig')}`, '--shard-peer-kubeconfig=gone.kubeconfig'], /^--shard-peer-kubeconfig: cannot read .*gone\.kubeconfig: ENOENT$/],
    ['empty shard peer kubeconfig', ['--shard-peer-kubeconfig='], /^--shard-peer-kubeconfig must name a file, got ""$/],
    ['shard peer kubeconfig is a directory', [`--shard-peer-kubeconfig=${p('adir')}`], /^--shard-peer-kubeconfig: .*adir is not a regular file$/],
    ['missing SNI key', [`--tls-sni-cert-key=${p('tls.crt')},missing.key`], /^--tls-sni-cert-key: cannot read .*missing\.key/],
    ['port too high', ['--secure-port=70000'], /^--secure-port 70000 must be between 0 and 65535/],
    ['negative port', ['--secure-port=-1'], /^--secure-port -1 must be between 0 and 65535/],
    ['bind address not an IP', ['--bind-address=localhost'], /^--bind-address: "localhost" is not an IP address$/],
    ['cert without key', [`--tls-cert-file=${p('tls.crt')}`], /^--tls-cert-file and --tls-private-key-file must be given together$/],
    ['key without cert', [`--tls-private-key-file=${p('tls.key')}`], /^--tls-cert-file and --tls-private-key-file must be given together$/],
    ['negative h2 streams', ['--http2-max-streams-per-connection=-5'], /^--http2-max-streams-per-connection -5 must not be negative$/],
    ['unknown cipher', ['--tls-cipher-suites=TLS_FOO'], /^--tls-cipher-suites: unknown cipher suite "TLS_FOO"/],
    ['insecure cipher', ['--tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA'], /insecure cipher suite, not supported/],
    ['unknown curve', ['--tls-curve-preferences=P-999'], /^--tls-curve-preferences: unknown curve "P-999"/],
    ['TLS 1.0', ['--tls-min-version=VersionTLS10'], /^--tls-min-version: VersionTLS10 is not supported by this front-proxy/],
    ['unknown TLS version', ['--tls-min-version=tls1.2'], /^--tls-min-version: unknown version "tls1.2"/],
    ['oidc http issuer', ['--oidc-issuer-url=http://idp', '--oidc-client-id=c'], /^--oidc-issuer-url: issuer URL "http:\/\/idp" must be an https URL$/],
    ['oidc without client id', ['--oidc-issuer-url=https://idp'], /^--oidc-issuer-url: a client ID is required/],
    ['oidc HS256', ['--oidc-issuer-url=https://idp', '--oidc-client-id=c', '--oidc-signing-algs=RS256,HS256'], /signing algorithm "HS256" is not allowed/],
    ['oidc none', ['--oidc-issuer-url=https://idp', '--oidc-client-id=c', '--oidc-signing-algs=none'], /signing algorithm "none" is not allowed/],
    ['requestheader without CA', ['--requestheader-username-headers=X-Remote-User'], /^--requestheader-username-headers needs --requestheader-client-ca-file/],
    ['webhook version', ['--authentication-token-webhook-version=v2'], /^--authentication-token-webhook-version: "v2" must be v1 or v1beta1$/],
    ['authentication-config refused', ['--authentication-config=a.yaml'], /^--authentication-config="[^"]*a\.yaml": not supported by this front-proxy; use --oidc-issuers-file/],
    ['webhook refused', [`--authentication-token-webhook-config-file=${p('ca.crt')}`], /^--authentication-token-webhook-config-file=".*": not supported by this front-proxy/],
    ['profiler refused', ['--profiler-address=:6060'], /^--profiler-address=":6060": not supported by this front-proxy/],
    ['vmodule refused', ['--vmodule=proxy=5'], /^--vmodule="proxy=5": not supported by this front-proxy/],
    ['unknown feature gate', ['--feature-gates=Foo=true'], /^--feature-gates: unrecognized feature gate: Foo$/],
    ['cors regexp', ['--cors-allowed-origins=(unclosed'], /^--cors-allowed-origins: "\(unclosed" is not a valid regular expression/],
    ['negative verbosity', ['-v=-1'], /^-v, --v: verbosity -1 must not be negative$/],
    ['zero log flush frequency', ['--log-flush-frequency=0s'], /^--log-flush-frequency: 0s must be positive$/],
    ['logging format', ['--logging-format=xml'], /^--logging-format: Unsupported value: "xml": supported values: "json"$/],
    ['text logs refused', ['--logging-format=text'], /^--logging-format=text: not supported by this front-proxy \(logs are JSON lines\)/],
    ['metrics address', ['--metrics-bind-address=metrics'], /^--metrics-bind-address: "metrics" must be host:port/],
    ['metrics port', ['--metrics-bind-address=:99999'], /^--metrics-bind-address: ":99999" must be host:port/],
    ['negative delay', ['--shutdown-delay-duration=-1s'], /^--shutdown-delay-duration must not be negative$/],
    ['negative timeout', ['--shutdown-timeout=-1s'], /^--shutdown-timeout must not be negative$/],
    ['zero sync timeout', ['--shard-sync-timeout=0'], /^--shard-sync-timeout must be positive$/],
    ['goaway too high', ['--goaway-chance=0.5'], /^--goaway-chance can not be less than 0 or greater than 0\.02/],
    ['no backend connections', ['--backend-max-connections=0'], /^--backend-max-connections must be at least 1, got 0/],
    ['unknown backend protocol', ['--backend-protocol=h3'], /^--backend-protocol: Unsupported value: "h3": supported values: "auto", "http1", "http2"$/],
    ['older flag contradicts', ['--backend-http2=true', '--backend-protocol=http1'], /^--backend-http2=true contradicts --backend-protocol=http1; give only --backend-protocol$/],
    ['older flag contradicts http2', ['--backend-http2=false', '--backend-protocol=http2'], /^--backend-http2=false contradicts --backend-protocol=http2/],
    ['unknown flow key', ['--fair-queuing-flow-key=group'], /^--fair-queuing-flow-key: Unsupported value: "group": supported values: "user", "user-workspace"$/],
    ['no flow queue', ['--fair-queuing-queue-length=0'], /^--fair-queuing-queue-length must be at least 1, got 0$/],
  ]
  for (const [name, argv, want] of cases) {
    const errs = checkArgs(...argv)
    t.equal(errs.length, 1, `${name}: exactly one error: ${JSON.stringify(errs)}`)
    t.match(errs[0], want, name)
  }
})

t.test('accepted settings do not produce errors', async (t) => {
  const good: string[][] = [
    ['--secure-port=0'], ['--secure-port=65535'], ['--bind-address=::'], ['--bind-address=127.0.0.1'],
    [`--tls-cert-file=${p('tls.crt')}`, `--tls-private-key-file=${p('tls.key')}`],
    [`--tls-sni-cert-key=${p('tls.crt')},${p('tls.key')}:a.io,*.b.io`],
    ['--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305'],
    ['--tls-curve-preferences=X25519,CurveP256,24'], ['--tls-min-version=VersionTLS13'],
    ['--oidc-issuer-url=https://idp', '--oidc-client-id=c', '--oidc-signing-algs=ES256,PS256', '--oidc-required-claim=hd=x.io'],
    [`--requestheader-client-ca-file=${p('ca.crt')}`, '--requestheader-username-headers=X-Remote-User'],
    [`--token-auth-file=${p('tokens.csv')}`, `--client-ca-file=${p('ca.crt')}`],
    ['--feature-gates=WorkspaceAuthentication=false'], ['--feature-gates=WorkspaceAuthentication=true'], ['--cors-allowed-origins=(?i)^https://.*\\.example\\.com$,localhost'],
    ['--metrics-bind-address=:9090'], ['--metrics-bind-address=127.0.0.1:9090'], ['--metrics-bind-address=[::1]:9090'],
    ['--backend-protocol=auto'], ['--backend-protocol=http1'], ['--backend-protocol=http2'], ['--backend-http2'], ['--backend-http2=false', '--backend-protocol=http1'],
    ['--enable-fair-queuing=false'], ['--fair-queuing-flow-key=user-workspace', '--fair-queuing-queue-length=1'],
    ['--goaway-chance=0.02'], ['--log-flush-frequency=1s', '--service-account-max-token-expiration=1h'],
    ['--authentication-token-webhook-version=v1', '--authentication-token-webhook-cache-ttl=30s'],
  ]
  for (const argv of good) t.same(checkArgs(...argv), [], argv.join(' '))
})

t.test('embedded callers passing wrong types get errors naming flag and field, not a crash', async (t) => {
  const errs = check({
    secureServing: { securePort: '443' as unknown as number, tlsSniCertKey: [{ certFile: 1 }] as never },
    authentication: { apiAudiences: 'a' as unknown as string[], oidcRequiredClaim: { a: 1 } as never, serviceAccountLookup: 'yes' as unknown as boolean },
    logging: { logFlushFrequency: '5 seconds' },
    extra: { goawayChance: Number.NaN, featureGates: { X: 'on' } as never },
  }, 'embedded')
  for (const re of [
    /^--secure-port \(secureServing\.securePort\): expected an integer, got "443"$/,
    /^--tls-sni-cert-key \(secureServing\.tlsSniCertKey\): expected a list of \{certFile, keyFile, domains\}/,
    /^--api-audiences \(authentication\.apiAudiences\): expected a list of strings, got "a"$/,
    /^--oidc-required-claim \(authentication\.oidcRequiredClaim\): expected a map of string to string/,
    /^--service-account-lookup \(authentication\.serviceAccountLookup\): expected a boolean/,
    /^--log-flush-frequency \(logging\.logFlushFrequency\): invalid duration "5 seconds"/,
    /^--goaway-chance \(extra\.goawayChance\): expected a finite number/,
    /^--feature-gates \(extra\.featureGates\): expected a map of string to boolean/,
  ]) t.ok(errs.some((e) => re.test(e)), `${re.source} in ${JSON.stringify(errs)}`)
})

t.test('--oidc-issuers-file: loaded into oidcIssuers, bad entries reported with file and line', async (t) => {
  writeFileSync(p('issuers.yaml'), [
    '- issuerURL: https://a.example', '  clientID: kcp', '  caFile: ca.crt', '  groupsClaim: groups',
    '- issuerURL: https://b.example', '  clientID: kcp', '  signingAlgs: [ES256]', '  requiredClaims: {tenant: x}',
  ].join('\n'))
  const o = completeOptions({ ...base, extra: { oidcIssuersFile: p('issuers.yaml') } }, 'cli', { cwd: dir })
  t.same(validateOptions(o), [])
  t.equal(o.authentication.oidcIssuers.length, 2)
  t.match(o.authentication.oidcIssuers[0], { issuerURL: 'https://a.example', caFile: p('ca.crt'), usernameClaim: 'sub', signingAlgs: ['RS256'] })
  t.match(o.authentication.oidcIssuers[1], { signingAlgs: ['ES256'], requiredClaims: { tenant: 'x' } })

  writeFileSync(p('bad-issuers.yaml'), ['- issuerURL: https://a.example', '  clientID: kcp', '  colour: blue', '- issuerURL: http://b', '  signingAlgs: HS256', '- just a string'].join('\n'))
  const errs = validateOptions(completeOptions({ ...base, extra: { oidcIssuersFile: p('bad-issuers.yaml') } }, 'cli', { cwd: dir }))
  const file = p('bad-issuers.yaml')
  t.ok(errs.includes(`${file}:3: [0].colour: unknown field (known: issuerURL, clientID, caFile, usernameClaim, usernamePrefix, groupsClaim, groupsPrefix, signingAlgs, requiredClaims)`), JSON.stringify(errs))
  t.ok(errs.includes(`${file}:5: [1].signingAlgs: expected a list of strings`))
  t.ok(errs.includes(`${file}:4: [1].clientID: required`))
  t.ok(errs.includes(`${file}:6: [2]: expected a mapping`))
  t.ok(errs.some((e) => /oidcIssuers\[1\] \(http:\/\/b\): issuer URL "http:\/\/b" must be an https URL/.test(e)))

  writeFileSync(p('broken.yaml'), '- issuerURL: [unclosed\n')
  t.match(validateOptions(completeOptions({ ...base, extra: { oidcIssuersFile: p('broken.yaml') } }, 'cli', { cwd: dir })), [new RegExp(`^${p('broken.yaml')}:\\d+: `)])
  t.match(validateOptions(completeOptions({ ...base, extra: { oidcIssuersFile: p('gone.yaml') } }, 'cli', { cwd: dir })), [/^--oidc-issuers-file: cannot read .*gone\.yaml/])
})

t.test('the same issuer twice is refused (tokens are routed by iss)', async (t) => {
  const errs = check({ authentication: { oidcIssuerURL: 'https://a', oidcClientID: 'c', oidcIssuers: [{ issuerURL: 'https://a', clientID: 'd' }] } }, 'embedded')
  t.match(errs, [/oidcIssuers\[0\] \(https:\/\/a\): issuer configured twice/])
})

t.test('--oidc-issuers-file is read once, by complete: validation reports what that read found', async (t) => {
  writeFileSync(p('once.yaml'), '- issuerURL: https://once.example\n  clientID: kcp\n  colour: blue\n')
  const o = completeOptions({ ...base, extra: { oidcIssuersFile: p('once.yaml') } }, 'cli', { cwd: dir })
  rmSync(p('once.yaml'))
  t.same(validateOptions(o), [`${p('once.yaml')}:3: [0].colour: unknown field (known: issuerURL, clientID, caFile, usernameClaim, usernamePrefix, groupsClaim, groupsPrefix, signingAlgs, requiredClaims)`])
  t.match(o.authentication.allOIDCIssuers, [{ issuerURL: 'https://once.example' }])
})
