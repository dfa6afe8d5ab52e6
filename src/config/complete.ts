// Step 2 of 3: fill in every default (docs/upstream.md#flags), make paths absolute and parse every textual
// value the program acts on (derive.ts), so the rest of the program never has to know what
// was left unset nor parse an option again. Does not judge values: wrong types are kept as
// given and reported by validateOptions(), and so are the values that could not be parsed.

import { isAbsolute, join, resolve } from 'node:path'
import { DEFAULT_BODY_BUFFER_BYTES, DEFAULT_BODY_TIMEOUT_MS, DEFAULT_FLOW_QUEUE_LENGTH, DEFAULT_MAX_CONNECTIONS, DEFAULT_QUEUE_SIZE, DEFAULT_QUEUE_TIMEOUT_MS } from '../proxy/limits.js'
import { deriveValues, primaryIssuer } from './derive.js'
import { completeIssuer, loadOIDCIssuersFile } from './oidc-issuers.js'
import { loadTracingFile } from './tracing-file.js'
import type { CompletedOptions, FrontProxyInput, FrontProxyOptions } from './types.js'

export type Mode = 'cli' | 'embedded'

/** Upstream kcp defaults for --authentication-drop-groups (docs/upstream.md#authentication-flags). */
export const defaultDropGroups: readonly string[] = [
  'system:masters',
  'system:kcp:logical-cluster-admin',
  'system:kcp:initializer:*',
  'system:kcp:terminator:*',
]

/** Feature gates this front-proxy knows, with their defaults. */
export const defaultFeatureGates: Readonly<Record<string, boolean>> = { WorkspaceAuthentication: false }

export interface CompleteEnv {
  /** Directory relative paths are resolved against (default process.cwd()). */
  cwd?: string
}

export function completeOptions(input: FrontProxyInput, mode: Mode, env: CompleteEnv = {}): CompletedOptions {
  const cwd = env.cwd ?? process.cwd()
  const abs = <T>(p: T): T => (typeof p === 'string' && p !== '' ? (resolve(cwd, p) as T) : p)
  const ss = input.secureServing ?? {}
  const au = input.authentication ?? {}
  const px = input.proxy ?? {}
  const lg = input.logging ?? {}
  const ex = input.extra ?? {}

  const rootDirectory = abs(px.rootDirectory || '.kcp')
  // Upstream Complete(): empty cert dir = root dir; a relative one lives under the root dir.
  const certDir = !ss.certDir ? rootDirectory : typeof ss.certDir === 'string' && !isAbsolute(ss.certDir) ? join(rootDirectory, ss.certDir) : ss.certDir

  const oidcIssuersFile = abs(ex.oidcIssuersFile ?? '')
  // Read once; its errors (file, line, field) are reported by validateOptions().
  const fromFile = oidcIssuersFile ? loadOIDCIssuersFile(oidcIssuersFile) : { issuers: [], errors: [] }
  const tracingConfigFile = abs(ex.tracingConfigFile ?? '')
  const tracingFile = tracingConfigFile ? loadTracingFile(tracingConfigFile) : { config: undefined, errors: [] }
  const oidcIssuers = [...(au.oidcIssuers ?? []).map((i) => completeIssuer(i)), ...fromFile.issuers]

  const o: FrontProxyOptions = {
    secureServing: {
      bindAddress: ss.bindAddress ?? (mode === 'cli' ? '0.0.0.0' : '127.0.0.1'),
      securePort: ss.securePort ?? (mode === 'cli' ? 443 : 0),
      certDir,
      tlsCertFile: abs(ss.tlsCertFile ?? ''),
      tlsPrivateKeyFile: abs(ss.tlsPrivateKeyFile ?? ''),
      tlsSniCertKey: (ss.tlsSniCertKey ?? []).map((s) => ({ ...s, certFile: abs(s.certFile), keyFile: abs(s.keyFile), domains: [...(s.domains ?? [])] })),
      tlsCipherSuites: ss.tlsCipherSuites ?? [],
      tlsMinVersion: ss.tlsMinVersion || 'VersionTLS12',
      tlsCurvePreferences: ss.tlsCurvePreferences ?? [],
      // k8s: 0 means the server's default of 100 concurrent streams.
      http2MaxStreamsPerConnection: ss.http2MaxStreamsPerConnection || 100,
      disableHttp2Serving: ss.disableHttp2Serving ?? false,
      permitPortSharing: ss.permitPortSharing ?? false,
      permitAddressSharing: ss.permitAddressSharing ?? false,
    },
    authentication: {
      apiAudiences: au.apiAudiences ?? [],
      clientCAFile: abs(au.clientCAFile ?? ''),
      tokenAuthFile: abs(au.tokenAuthFile ?? ''),
      oidcIssuerURL: au.oidcIssuerURL ?? '',
      oidcClientID: au.oidcClientID ?? '',
      oidcCAFile: abs(au.oidcCAFile ?? ''),
      oidcUsernameClaim: au.oidcUsernameClaim || 'sub',
      oidcUsernamePrefix: au.oidcUsernamePrefix ?? '',
      oidcGroupsClaim: au.oidcGroupsClaim ?? '',
      oidcGroupsPrefix: au.oidcGroupsPrefix ?? '',
      oidcSigningAlgs: au.oidcSigningAlgs && au.oidcSigningAlgs.length > 0 ? au.oidcSigningAlgs : ['RS256'],
      oidcRequiredClaim: au.oidcRequiredClaim ?? {},
      oidcIssuers,
      authenticationConfig: au.authenticationConfig ?? '',
      serviceAccountKeyFiles: (au.serviceAccountKeyFiles ?? []).map(abs),
      serviceAccountIssuers: au.serviceAccountIssuers ?? ['https://kcp.default.svc'],
      serviceAccountLookup: au.serviceAccountLookup ?? true,
      requestheaderUsernameHeaders: au.requestheaderUsernameHeaders ?? [],
      requestheaderUIDHeaders: au.requestheaderUIDHeaders ?? [],
      requestheaderGroupHeaders: au.requestheaderGroupHeaders ?? [],
      requestheaderExtraHeadersPrefix: au.requestheaderExtraHeadersPrefix ?? [],
      requestheaderClientCAFile: abs(au.requestheaderClientCAFile ?? ''),
      requestheaderAllowedNames: au.requestheaderAllowedNames ?? [],
      authenticationTokenWebhookConfigFile: abs(au.authenticationTokenWebhookConfigFile ?? ''),
      authenticationTokenWebhookVersion: au.authenticationTokenWebhookVersion || 'v1beta1',
      authenticationTokenWebhookCacheTTL: au.authenticationTokenWebhookCacheTTL || '2m0s',
      authenticationPassOnGroups: au.authenticationPassOnGroups ?? [],
      // Only "not given" gets the defaults: an explicit empty list clears them (upstream).
      authenticationDropGroups: au.authenticationDropGroups ?? [...defaultDropGroups],
    },
    proxy: {
      mappingFile: abs(px.mappingFile ?? ''),
      rootDirectory,
      rootKubeconfig: abs(px.rootKubeconfig ?? ''),
      shardsKubeconfig: abs(px.shardsKubeconfig ?? ''),
      profilerAddress: px.profilerAddress ?? '',
      corsAllowedOrigins: px.corsAllowedOrigins ?? [],
    },
    logging: {
      v: lg.v ?? 2,
      loggingFormat: lg.loggingFormat || 'json',
      vmodule: lg.vmodule ?? '',
      logFlushFrequency: lg.logFlushFrequency || '5s',
    },
    extra: {
      metricsBindAddress: ex.metricsBindAddress ?? '',
      shutdownDelaySeconds: ex.shutdownDelaySeconds ?? 0,
      // Embedded (test harnesses): a hung request should not hold a test for a minute.
      shutdownTimeoutSeconds: ex.shutdownTimeoutSeconds ?? (mode === 'cli' ? 60 : 5),
      shardSyncTimeoutSeconds: ex.shardSyncTimeoutSeconds ?? 30,
      goawayChance: ex.goawayChance ?? 0,
      // The older boolean decides only when --backend-protocol is not given (validate() reports a contradiction).
      backendProtocol: ex.backendProtocol ?? (ex.backendHttp2 === true ? 'http2' : 'auto'),
      ...(ex.backendHttp2 !== undefined ? { backendHttp2: ex.backendHttp2 } : {}),
      ...(ex.workers !== undefined ? { workers: ex.workers } : {}),
      backendMaxConnections: ex.backendMaxConnections ?? DEFAULT_MAX_CONNECTIONS,
      backendQueueSize: ex.backendQueueSize ?? DEFAULT_QUEUE_SIZE,
      backendQueueTimeoutSeconds: ex.backendQueueTimeoutSeconds ?? DEFAULT_QUEUE_TIMEOUT_MS / 1000,
      enableFairQueuing: ex.enableFairQueuing ?? true,
      fairQueuingFlowKey: ex.fairQueuingFlowKey ?? 'user',
      fairQueuingQueueLength: ex.fairQueuingQueueLength ?? DEFAULT_FLOW_QUEUE_LENGTH,
      requestBodyTimeoutSeconds: ex.requestBodyTimeoutSeconds ?? DEFAULT_BODY_TIMEOUT_MS / 1000,
      requestBodyBufferBytes: ex.requestBodyBufferBytes ?? DEFAULT_BODY_BUFFER_BYTES,
      featureGates: { ...defaultFeatureGates, ...(ex.featureGates ?? {}) },
      oidcIssuersFile,
      shardPeerKubeconfigs: (ex.shardPeerKubeconfigs ?? []).map(abs),
      ...(tracingConfigFile ? { tracingConfigFile } : {}),
    },
  }
  const d = deriveValues(o)
  return {
    completed: true,
    secureServing: { ...o.secureServing, tls: d.tls },
    authentication: { ...o.authentication, allOIDCIssuers: [...primaryIssuer(o.authentication), ...oidcIssuers] },
    proxy: { ...o.proxy, corsOrigins: d.corsOrigins },
    logging: { ...o.logging, logFlushSeconds: d.logFlushSeconds },
    extra: { ...o.extra, metricsListen: d.metricsListen, tracing: tracingFile.config },
    problems: [
      ...d.problems,
      ...fromFile.errors.map((message) => ({ flag: 'oidc-issuers-file', message })),
      ...tracingFile.errors.map((message) => ({ flag: 'tracing-config-file', message: `--tracing-config-file: ${message}` })),
    ],
  }
}
