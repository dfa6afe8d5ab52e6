import t from 'tap'
import { parseArgs } from '../../src/config/parse.js'
import { flags } from '../../src/config/flags.js'
import { completeOptions } from '../../src/config/complete.js'

t.test('every flag form pflag accepts parses to the same options', async (t) => {
  const cases: [string, string[], object][] = [
    ['--flag=value', ['--mapping-file=m.yaml'], { proxy: { mappingFile: 'm.yaml' } }],
    ['--flag value', ['--mapping-file', 'm.yaml'], { proxy: { mappingFile: 'm.yaml' } }],
    ['underscores normalised', ['--mapping_file=m.yaml', '--shards_kubeconfig', 's'], { proxy: { mappingFile: 'm.yaml', shardsKubeconfig: 's' } }],
    ['-v=4', ['-v=4'], { logging: { v: 4 } }],
    ['-v 4', ['-v', '4'], { logging: { v: 4 } }],
    ['-v4', ['-v4'], { logging: { v: 4 } }],
    ['--v=4', ['--v=4'], { logging: { v: 4 } }],
    ['--v 4', ['--v', '4'], { logging: { v: 4 } }],
    ['bool bare', ['--disable-http2-serving'], { secureServing: { disableHttp2Serving: true } }],
    ['bool =false', ['--service-account-lookup=false'], { authentication: { serviceAccountLookup: false } }],
    ['bool =0', ['--backend-http2=0'], { extra: { backendHttp2: false } }],
    ['int', ['--secure-port', '6443'], { secureServing: { securePort: 6443 } }],
    ['float', ['--goaway-chance=0.01'], { extra: { goawayChance: 0.01 } }],
    ['string slice, comma list', ['--requestheader-allowed-names=kcp-front-proxy,kcp-mounts-proxy'], { authentication: { requestheaderAllowedNames: ['kcp-front-proxy', 'kcp-mounts-proxy'] } }],
    ['string slice, repeated appends', ['--api-audiences=a,b', '--api-audiences', 'c'], { authentication: { apiAudiences: ['a', 'b', 'c'] } }],
    ['string slice, empty clears', ['--authentication-drop-groups='], { authentication: { authenticationDropGroups: [] } }],
    ['string array, repeated, commas kept', ['--service-account-key-file=a,b.pem', '--service-account-key-file=c.pem'], { authentication: { serviceAccountKeyFiles: ['a,b.pem', 'c.pem'] } }],
    ['shard peers, repeated, in order', ['--shard-peer-kubeconfig=b.kubeconfig', '--shard-peer-kubeconfig', 'a,1.kubeconfig'], { extra: { shardPeerKubeconfigs: ['b.kubeconfig', 'a,1.kubeconfig'] } }],
    ['map k=v repeated', ['--oidc-required-claim=hd=x.io', '--oidc-required-claim', 'tier=gold,silver'], { authentication: { oidcRequiredClaim: { hd: 'x.io', tier: 'gold,silver' } } }],
    ['feature gates merged', ['--feature-gates=WorkspaceAuthentication=true', '--feature-gates', 'WorkspaceAuthentication=false'], { extra: { featureGates: { WorkspaceAuthentication: false } } }],
    ['duration kept as string', ['--log-flush-frequency=10s'], { logging: { logFlushFrequency: '10s' } }],
    ['duration to seconds', ['--shutdown-delay-duration=1m5s', '--shutdown-timeout', '500ms'], { extra: { shutdownDelaySeconds: 65, shutdownTimeoutSeconds: 0.5 } }],
    ['named cert key, repeated', ['--tls-sni-cert-key=a.crt,a.key:a.io', '--tls-sni-cert-key', 'b.crt,b.key'],
      { secureServing: { tlsSniCertKey: [{ certFile: 'a.crt', keyFile: 'a.key', domains: ['a.io'] }, { certFile: 'b.crt', keyFile: 'b.key', domains: [] }] } }],
    ['value starting with a dash is consumed', ['--oidc-username-prefix', '-'], { authentication: { oidcUsernamePrefix: '-' } }],
    ['later single value wins', ['--secure-port=1', '--secure-port=2'], { secureServing: { securePort: 2 } }],
    ['no-effect flag accepted, sets nothing', ['--service-account-jwks-uri=https://x', '--service-account-extend-token-expiration=false'], {}],
  ]
  for (const [name, argv, want] of cases) {
    const r = parseArgs(argv)
    t.same(r.errors, [], `${name}: no errors`)
    t.same(r.input, want, name)
  }
})

t.test('the upstream e2e invocation parses without errors', async (t) => {
  const r = parseArgs([
    '--bind-address=127.0.0.1', '--mapping-file=/m.yaml', '--root-directory=/r', '--root-kubeconfig=/root.kubeconfig',
    '--shards-kubeconfig=/shards.kubeconfig', '--client-ca-file=/client-ca.crt', '--requestheader-client-ca-file=/rh.crt',
    '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-', '--requestheader-allowed-names=kcp-front-proxy,kcp-mounts-proxy',
    '--tls-cert-file=/s.crt', '--tls-private-key-file=/s.key', '--secure-port=6443', '--v=4',
  ])
  t.same(r.errors, [])
  t.match(r.input, {
    secureServing: { bindAddress: '127.0.0.1', securePort: 6443, tlsCertFile: '/s.crt', tlsPrivateKeyFile: '/s.key' },
    proxy: { mappingFile: '/m.yaml', rootDirectory: '/r', rootKubeconfig: '/root.kubeconfig', shardsKubeconfig: '/shards.kubeconfig' },
    authentication: { requestheaderAllowedNames: ['kcp-front-proxy', 'kcp-mounts-proxy'], requestheaderUsernameHeaders: ['X-Remote-User'] },
    logging: { v: 4 },
  })
})

t.test('bad command lines give one error per problem, naming flag and value', async (t) => {
  const cases: [string, string[], RegExp[]][] = [
    ['unknown flag', ['--nope=1'], [/^unknown flag: --nope$/]],
    ['unknown shorthand', ['-x'], [/^unknown shorthand flag: 'x' in -x$/]],
    ['missing value', ['--mapping-file'], [/^flag needs an argument: --mapping-file$/]],
    ['missing shorthand value', ['-v'], [/^flag needs an argument: 'v' in -v$/]],
    ['bad int', ['--secure-port=https'], [/^invalid argument "https" for "--secure-port" flag: strconv.ParseInt/]],
    ['bad int on shorthand', ['-v=high'], [/^invalid argument "high" for "-v, --v" flag/]],
    ['bad bool', ['--disable-http2-serving=yes'], [/^invalid argument "yes" for "--disable-http2-serving" flag: strconv.ParseBool/]],
    ['bad float', ['--goaway-chance=lots'], [/^invalid argument "lots" for "--goaway-chance" flag/]],
    ['bad duration', ['--shutdown-timeout=5'], [/^invalid argument "5" for "--shutdown-timeout" flag: time: missing unit/]],
    ['bad upstream duration', ['--log-flush-frequency=soon'], [/^invalid argument "soon" for "--log-flush-frequency" flag: time: invalid duration/]],
    ['bad csv', ['--api-audiences="a'], [/^invalid argument "\\"a" for "--api-audiences" flag: parse error/]],
    ['bad map', ['--oidc-required-claim=novalue'], [/^invalid argument "novalue" for "--oidc-required-claim" flag: malformed pair/]],
    ['bad gates', ['--feature-gates=A=perhaps'], [/^invalid argument "A=perhaps" for "--feature-gates" flag/]],
    ['bad cert key', ['--tls-sni-cert-key=onlycert'], [/^invalid argument "onlycert" for "--tls-sni-cert-key" flag/]],
    ['positional argument', ['serve'], [/^unexpected argument "serve"/]],
    ['arguments after --', ['--', 'a', 'b'], [/^unexpected argument "a"/, /^unexpected argument "b"/]],
    ['bare bool with a glued value', ['-hv'], [/^unknown shorthand flag: 'v' in -hv$/]],
    ['triple dash', ['---x'], [/^bad flag syntax: ---x$/]],
    ['all at once', ['--nope', '--secure-port=x', '-v=y', 'extra'], [/unknown flag: --nope/, /--secure-port/, /-v, --v/, /unexpected argument "extra"/]],
  ]
  for (const [name, argv, want] of cases) {
    const r = parseArgs(argv)
    t.equal(r.errors.length, want.length, `${name}: ${JSON.stringify(r.errors)}`)
    want.forEach((re, i) => t.match(r.errors[i], re, name))
  }
})

t.test('--help and --version are recognised in every spelling', async (t) => {
  t.equal(parseArgs(['--help']).help, true)
  t.equal(parseArgs(['-h']).help, true)
  t.equal(parseArgs(['--help=false']).help, false)
  t.match(parseArgs(['--version']), { version: true, versionRaw: false })
  t.match(parseArgs(['--version=raw']), { version: true, versionRaw: true })
  t.match(parseArgs(['--version=false']), { version: false })
  t.match(parseArgs(['--version=maybe']).errors, [/--version/])
})

t.test('every flag with an options field parses its documented default text', async (t) => {
  // Guards the table itself: a default that does not parse as its own type is a typo.
  for (const f of flags) {
    if (!f.target || f.defaultText === '' || f.defaultText.startsWith('[')) continue
    const r = parseArgs([`--${f.name}=${f.defaultText}`])
    t.same(r.errors, [], f.name)
  }
})

t.test('giving any flag its documented default changes nothing', async (t) => {
  // The flag table's default texts are written by hand; the values live in complete() (and, for
  // the front door's limits, src/proxy/limits.ts). A default changed in one place only fails here.
  // Compared after completion, so sentinels (0 = the built-in default) and relative paths count as written.
  const complete = (input: object): Record<string, Record<string, unknown>> =>
    completeOptions(input, 'cli', { cwd: '/' }) as unknown as Record<string, Record<string, unknown>>
  const bare = complete({})
  let compared = 0
  for (const f of flags) {
    if (!f.target || f.defaultText === '' || f.defaultText.startsWith('[')) continue
    const r = parseArgs([`--${f.name}=${f.defaultText}`])
    const [group, field] = f.target
    const given = complete(r.input)[group]?.[field]
    // --backend-http2 stays unset unless given: its absence means "decided by --backend-protocol".
    if (bare[group]?.[field] === undefined && f.name === 'backend-http2') continue
    t.same(given, bare[group]?.[field], `--${f.name}=${f.defaultText}`)
    compared++
  }
  t.ok(compared >= 20, `compared ${compared} defaults`)
})
