// Step 3 of 3: judge the completed options and return every problem at once, each
// naming the flag (and the options field, for createFrontProxy() callers).

import { accessSync, constants, statSync } from 'node:fs'
import { isIP } from 'node:net'
import { flags, type FlagDef } from './flags.js'
import { defaultFeatureGates } from './complete.js'
import { primaryIssuer } from './derive.js'
import { validateTLS } from './tls.js'
import { isJWTSigningAlg, jwtSigningAlgs } from './signing-algs.js'
import { backendProtocols, flowKeys, type CompletedOptions, type OIDCIssuerOptions } from './types.js'
import { parseDurationSeconds } from './values.js'

const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string')
const isRecordOf = (v: unknown, t: string): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === t)

/** Checks one field against its flag type (createFrontProxy() callers can pass anything). */
function typeProblem(def: FlagDef, v: unknown): string | undefined {
  switch (def.type) {
    case 'string': return typeof v === 'string' ? undefined : 'expected a string'
    case 'int': return Number.isSafeInteger(v) ? undefined : 'expected an integer'
    case 'float': case 'durationSeconds': return typeof v === 'number' && Number.isFinite(v) ? undefined : 'expected a finite number'
    case 'bool': return typeof v === 'boolean' ? undefined : 'expected a boolean'
    case 'stringSlice': case 'stringArray': return isStringList(v) ? undefined : 'expected a list of strings'
    case 'mapStringString': return isRecordOf(v, 'string') ? undefined : 'expected a map of string to string'
    case 'mapStringBool': return isRecordOf(v, 'boolean') ? undefined : 'expected a map of string to boolean'
    case 'duration':
      if (typeof v !== 'string') return 'expected a Go duration string such as "30s"'
      return parseDurationSeconds(v).ok ? undefined : `invalid duration ${JSON.stringify(v)}`
    case 'namedCertKey':
      return Array.isArray(v) && v.every((x: { certFile?: unknown; keyFile?: unknown; domains?: unknown }) =>
        typeof x === 'object' && x !== null && typeof x.certFile === 'string' && typeof x.keyFile === 'string' && isStringList(x.domains))
        ? undefined : 'expected a list of {certFile, keyFile, domains}'
  }
}

function label(def: FlagDef): string {
  return def.target ? `--${def.name} (${def.target[0]}.${def.target[1]})` : `--${def.name}`
}

function readableFile(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK)
    return statSync(path).isFile() ? undefined : `${path} is not a regular file`
  } catch (err) {
    return `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`
  }
}

/** reusePort arrived in Node 22.12 / 23.1. */
function nodeHasReusePort(version = process.versions.node): boolean {
  const [maj = 0, min = 0] = version.split('.').map(Number)
  return maj > 23 || (maj === 23 && min >= 1) || (maj === 22 && min >= 12)
}

function validateIssuer(i: OIDCIssuerOptions, where: string, errors: string[]): void {
  let url: URL | undefined
  try { url = new URL(i.issuerURL) } catch { /* reported below */ }
  if (!url || url.protocol !== 'https:') errors.push(`${where}: issuer URL ${JSON.stringify(i.issuerURL)} must be an https URL`)
  if (!i.clientID) errors.push(`${where}: a client ID is required with an issuer URL (--oidc-client-id)`)
  if (!i.usernameClaim) errors.push(`${where}: the username claim must not be empty`)
  for (const alg of i.signingAlgs) {
    if (!isJWTSigningAlg(alg)) errors.push(`${where}: signing algorithm ${JSON.stringify(alg)} is not allowed (allowed: ${jwtSigningAlgs.join(', ')})`)
  }
  for (const k of Object.keys(i.requiredClaims)) if (k === '') errors.push(`${where}: required claim with an empty name`)
}

export function validateOptions(o: CompletedOptions): string[] {
  const errors: string[] = []
  // 1. Types: only well-typed fields go on to the semantic checks.
  const badField = new Set<string>()
  for (const def of flags) {
    if (!def.target) continue
    const [g, f] = def.target
    const v = (o[g] as unknown as Record<string, unknown>)[f]
    if (v === undefined && def.optional === true) continue
    const problem = typeProblem(def, v)
    if (problem) {
      errors.push(`${label(def)}: ${problem}${problem.includes(JSON.stringify(v)) ? '' : `, got ${JSON.stringify(v)}`}`)
      badField.add(def.name)
    }
  }
  const ok = (name: string): boolean => !badField.has(name)
  // What complete() could not parse, reported where that flag's other checks are.
  const problems = (flag: string): string[] => o.problems.filter((p) => p.flag === flag).map((p) => p.message)
  const { secureServing: ss, authentication: au, proxy: px, logging: lg, extra: ex } = o

  // 2. Required (upstream texts).
  if (ok('mapping-file') && px.mappingFile === '') errors.push('--mapping-file is required')
  if (ok('shards-kubeconfig') && px.shardsKubeconfig === '') errors.push('--shards-kubeconfig is required')
  if (ok('root-kubeconfig') && px.rootKubeconfig === '') {
    errors.push('--root-kubeconfig is required by this front-proxy (upstream falls back to in-cluster config, which is the hosting cluster, not kcp)')
  }

  // 3. Files that must exist now (each is read at startup or by a reloader).
  const files: [string, string][] = [
    ['mapping-file', px.mappingFile], ['root-kubeconfig', px.rootKubeconfig], ['shards-kubeconfig', px.shardsKubeconfig],
    ['tls-cert-file', ss.tlsCertFile], ['tls-private-key-file', ss.tlsPrivateKeyFile], ['client-ca-file', au.clientCAFile],
    ['token-auth-file', au.tokenAuthFile], ['oidc-ca-file', au.oidcCAFile], ['requestheader-client-ca-file', au.requestheaderClientCAFile],
  ]
  if (ok('service-account-key-file')) for (const f of au.serviceAccountKeyFiles) files.push(['service-account-key-file', f])
  if (ok('shard-peer-kubeconfig')) for (const f of ex.shardPeerKubeconfigs) files.push(['shard-peer-kubeconfig', f])
  if (ok('tls-sni-cert-key')) for (const s of ss.tlsSniCertKey) files.push(['tls-sni-cert-key', s.certFile], ['tls-sni-cert-key', s.keyFile])
  for (const [flag, path] of files) {
    if (!ok(flag) || path === '') continue
    const p = readableFile(path)
    if (p) errors.push(`--${flag}: ${p}`)
  }

  // 4. secure-serving.
  if (ok('secure-port') && (ss.securePort < 0 || ss.securePort > 65535)) {
    errors.push(`--secure-port ${ss.securePort} must be between 0 and 65535, inclusive (0 picks a free port)`)
  }
  if (ok('bind-address') && isIP(ss.bindAddress) === 0) errors.push(`--bind-address: ${JSON.stringify(ss.bindAddress)} is not an IP address`)
  if (ok('tls-cert-file') && ok('tls-private-key-file') && (ss.tlsCertFile === '') !== (ss.tlsPrivateKeyFile === '')) {
    errors.push('--tls-cert-file and --tls-private-key-file must be given together')
  }
  if (ok('http2-max-streams-per-connection') && ss.http2MaxStreamsPerConnection < 0) {
    errors.push(`--http2-max-streams-per-connection ${ss.http2MaxStreamsPerConnection} must not be negative`)
  }
  if (ok('tls-cipher-suites') && ok('tls-curve-preferences') && ok('tls-min-version')) errors.push(...validateTLS(ss))
  if (ok('permit-port-sharing') && ss.permitPortSharing && !nodeHasReusePort()) {
    errors.push(`--permit-port-sharing: not supported on Node ${process.versions.node} (needs Node >= 22.12)`)
  }

  // 5. authentication.
  if (ok('oidc-issuer-url') && ok('oidc-signing-algs') && ok('oidc-required-claim')) {
    for (const i of primaryIssuer(au)) validateIssuer(i, '--oidc-issuer-url', errors)
  }
  errors.push(...problems('oidc-issuers-file'))
  errors.push(...problems('tracing-config-file'))
  if (Array.isArray(au.oidcIssuers)) {
    const urls = new Set<string>(au.oidcIssuerURL ? [au.oidcIssuerURL] : [])
    au.oidcIssuers.forEach((i, idx) => {
      const where = `oidcIssuers[${idx}] (${i.issuerURL})`
      validateIssuer(i, where, errors)
      if (i.caFile) { const p = readableFile(i.caFile); if (p) errors.push(`${where}: caFile: ${p}`) }
      if (urls.has(i.issuerURL)) errors.push(`${where}: issuer configured twice; tokens are routed to a verifier by their iss claim`)
      urls.add(i.issuerURL)
    })
  }
  if (ok('requestheader-username-headers') && au.requestheaderUsernameHeaders.length > 0 && au.requestheaderClientCAFile === '') {
    errors.push('--requestheader-username-headers needs --requestheader-client-ca-file: identity headers are only believed from proxies with a trusted certificate')
  }
  if (ok('authentication-token-webhook-version') && !['v1', 'v1beta1'].includes(au.authenticationTokenWebhookVersion)) {
    errors.push(`--authentication-token-webhook-version: ${JSON.stringify(au.authenticationTokenWebhookVersion)} must be v1 or v1beta1`)
  }

  // 6. Upstream flags we do not honour: refused, never silently ignored.
  for (const def of flags) {
    if (def.support !== 'unsupported' || !def.target || !ok(def.name)) continue
    const v = (o[def.target[0]] as unknown as Record<string, unknown>)[def.target[1]]
    // Every unsupported flag's note starts with "Not supported by this front-proxy".
    if (v !== '' && !(Array.isArray(v) && v.length === 0)) errors.push(`--${def.name}=${JSON.stringify(v)}: ${(def.note ?? 'Not supported by this front-proxy.').replace(/^N/, 'n')}`)
  }
  if (ok('feature-gates')) {
    for (const gate of Object.keys(ex.featureGates)) {
      if (!(gate in defaultFeatureGates)) errors.push(`--feature-gates: unrecognized feature gate: ${gate}`)
    }
  }

  // 7. proxy, logging.
  if (ok('cors-allowed-origins')) errors.push(...problems('cors-allowed-origins'))
  if (ok('v') && lg.v < 0) errors.push(`-v, --v: verbosity ${lg.v} must not be negative`)
  // Go's klog panics on a non-positive ticker interval; we refuse it instead.
  if (ok('log-flush-frequency') && lg.logFlushSeconds <= 0) errors.push(`--log-flush-frequency: ${lg.logFlushFrequency} must be positive`)
  if (ok('logging-format') && lg.loggingFormat === 'text') {
    errors.push('--logging-format=text: not supported by this front-proxy (logs are JSON lines); use --logging-format=json')
  } else if (ok('logging-format') && lg.loggingFormat !== 'json') {
    errors.push(unsupported('logging-format', lg.loggingFormat, ['json']))
  }

  // 8. Our extensions.
  if (ok('metrics-bind-address')) errors.push(...problems('metrics-bind-address'))
  if (ok('shutdown-delay-duration') && ex.shutdownDelaySeconds < 0) errors.push('--shutdown-delay-duration must not be negative')
  if (ok('shutdown-timeout') && ex.shutdownTimeoutSeconds < 0) errors.push('--shutdown-timeout must not be negative')
  if (ok('shard-sync-timeout') && ex.shardSyncTimeoutSeconds <= 0) errors.push('--shard-sync-timeout must be positive')
  if (ok('backend-protocol') && !(backendProtocols as readonly string[]).includes(ex.backendProtocol)) {
    errors.push(unsupported('backend-protocol', ex.backendProtocol, backendProtocols))
  } else if (ok('backend-protocol') && ok('backend-http2') && ex.backendHttp2 !== undefined && ex.backendHttp2 !== (ex.backendProtocol === 'http2')) {
    errors.push(`--backend-http2=${ex.backendHttp2} contradicts --backend-protocol=${ex.backendProtocol}; give only --backend-protocol`)
  }
  if (ok('backend-max-connections') && (!Number.isInteger(ex.backendMaxConnections) || ex.backendMaxConnections < 1)) {
    errors.push(`--backend-max-connections must be at least 1, got ${ex.backendMaxConnections}`)
  }
  if (ok('backend-queue-size') && (!Number.isInteger(ex.backendQueueSize) || ex.backendQueueSize < 0)) {
    errors.push(`--backend-queue-size must be 0 or more, got ${ex.backendQueueSize}`)
  }
  if (ok('backend-queue-timeout') && ex.backendQueueTimeoutSeconds <= 0) errors.push('--backend-queue-timeout must be positive')
  if (ok('fair-queuing-flow-key') && !(flowKeys as readonly string[]).includes(ex.fairQueuingFlowKey)) {
    errors.push(unsupported('fair-queuing-flow-key', ex.fairQueuingFlowKey, flowKeys))
  }
  if (ok('fair-queuing-queue-length') && (!Number.isInteger(ex.fairQueuingQueueLength) || ex.fairQueuingQueueLength < 1)) {
    errors.push(`--fair-queuing-queue-length must be at least 1, got ${ex.fairQueuingQueueLength}`)
  }
  if (ok('request-body-timeout') && ex.requestBodyTimeoutSeconds <= 0) errors.push('--request-body-timeout must be positive')
  if (ok('request-body-buffer-size') && (!Number.isInteger(ex.requestBodyBufferBytes) || ex.requestBodyBufferBytes < 0)) {
    errors.push(`--request-body-buffer-size must be 0 or more bytes, got ${ex.requestBodyBufferBytes}`)
  }
  if (ok('workers') && ex.workers !== undefined && (!Number.isInteger(ex.workers) || ex.workers < 0)) errors.push(`--workers must be 0 or more, got ${ex.workers}`)
  if (ok('goaway-chance') && (ex.goawayChance < 0 || ex.goawayChance > 0.02)) {
    errors.push(`--goaway-chance can not be less than 0 or greater than 0.02, got ${ex.goawayChance}`)
  }
  if (ok('shard-peer-kubeconfig') && ex.shardPeerKubeconfigs.includes('')) errors.push('--shard-peer-kubeconfig must name a file, got ""')
  return errors
}

/** Kubernetes' wording (field.NotSupported) for a value outside a flag's fixed set. */
function unsupported(flag: string, value: string, supported: readonly string[]): string {
  return `--${flag}: Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}`
}
