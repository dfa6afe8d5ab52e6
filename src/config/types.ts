// The one options object shared by the CLI (src/cli.ts) and createFrontProxy().
// Field names are the upstream flag names in camelCase (docs/upstream.md#flags); CLI parsing and
// defaulting live in src/config, the server only consumes CompletedOptions.

import type { NodeTLSSettings } from './tls.js'
import type { TracingConfig } from './tracing-file.js'

export interface SecureServingOptions {
  /** --bind-address, default 0.0.0.0 */
  bindAddress: string
  /** --secure-port, default 443 (createFrontProxy defaults to 0: a free port) */
  securePort: number
  /** --cert-dir, default '' → rootDirectory */
  certDir: string
  /** --tls-cert-file */
  tlsCertFile: string
  /** --tls-private-key-file */
  tlsPrivateKeyFile: string
  /** --tls-sni-cert-key, repeatable `cert,key[:domain,...]` */
  tlsSniCertKey: { certFile: string; keyFile: string; domains: string[] }[]
  /** --tls-cipher-suites (Go names are mapped to OpenSSL names) */
  tlsCipherSuites: string[]
  /** --tls-min-version: VersionTLS12 | VersionTLS13 (default TLS 1.2) */
  tlsMinVersion: string
  /** --tls-curve-preferences */
  tlsCurvePreferences: string[]
  /** --http2-max-streams-per-connection, 0 → 100 */
  http2MaxStreamsPerConnection: number
  /** --disable-http2-serving */
  disableHttp2Serving: boolean
  /** --permit-port-sharing (SO_REUSEPORT) */
  permitPortSharing: boolean
  /** --permit-address-sharing */
  permitAddressSharing: boolean
}

export interface AuthenticationOptions {
  apiAudiences: string[]
  clientCAFile: string
  tokenAuthFile: string
  oidcIssuerURL: string
  oidcClientID: string
  oidcCAFile: string
  oidcUsernameClaim: string
  oidcUsernamePrefix: string
  oidcGroupsClaim: string
  oidcGroupsPrefix: string
  oidcSigningAlgs: string[]
  oidcRequiredClaim: Record<string, string>
  /**
   * Beyond upstream: more issuers. Each entry has the same fields as the --oidc-* flags.
   * From --oidc-issuers-file (YAML list) or createFrontProxy().
   */
  oidcIssuers: OIDCIssuerOptions[]
  authenticationConfig: string
  serviceAccountKeyFiles: string[]
  serviceAccountIssuers: string[]
  serviceAccountLookup: boolean
  requestheaderUsernameHeaders: string[]
  requestheaderUIDHeaders: string[]
  requestheaderGroupHeaders: string[]
  requestheaderExtraHeadersPrefix: string[]
  requestheaderClientCAFile: string
  requestheaderAllowedNames: string[]
  authenticationTokenWebhookConfigFile: string
  authenticationTokenWebhookVersion: string
  authenticationTokenWebhookCacheTTL: string
  authenticationPassOnGroups: string[]
  authenticationDropGroups: string[]
}

export interface OIDCIssuerOptions {
  issuerURL: string
  clientID: string
  caFile: string
  usernameClaim: string
  usernamePrefix: string
  groupsClaim: string
  groupsPrefix: string
  signingAlgs: string[]
  requiredClaims: Record<string, string>
}

export interface ProxyOptions {
  /** --mapping-file (required) */
  mappingFile: string
  /** --root-directory, default .kcp, made absolute */
  rootDirectory: string
  /** --root-kubeconfig */
  rootKubeconfig: string
  /** --shards-kubeconfig (required) */
  shardsKubeconfig: string
  /** --profiler-address */
  profilerAddress: string
  /** --cors-allowed-origins (regexps) */
  corsAllowedOrigins: string[]
}

export interface LoggingOptions {
  /** -v / --v, default 2 */
  v: number
  /** --logging-format: json only (default json; upstream's text is refused, see docs/configuration.md) */
  loggingFormat: 'text' | 'json'
  vmodule: string
  logFlushFrequency: string
}

export const flowKeys = ['user', 'user-workspace'] as const
export type FlowKey = (typeof flowKeys)[number]

export const backendProtocols = ['auto', 'http1', 'http2'] as const
export type BackendProtocol = (typeof backendProtocols)[number]

/** Our additions (not in upstream); each documented in the README. */
export interface ExtraOptions {
  /** --metrics-bind-address: optional plain-HTTP /metrics listener for in-cluster scraping ('' = off). */
  metricsBindAddress: string
  /** --shutdown-delay-duration: readiness fails this long before the listener closes (LB deregistration). */
  shutdownDelaySeconds: number
  /** --shutdown-timeout: how long in-flight requests may drain before connections are cut. */
  shutdownTimeoutSeconds: number
  /** --shard-sync-timeout: a shard that cannot sync within this is reported failing and no longer blocks readiness. */
  shardSyncTimeoutSeconds: number
  /** --goaway-chance: probability per request to send HTTP/2 GOAWAY so clients rebalance (0 = never). */
  goawayChance: number
  /**
   * --backend-protocol: `auto` (default) = short requests on bounded HTTP/1.1 keep-alive connections,
   * watches and other long-running requests multiplexed over HTTP/2 when the shard offers it;
   * `http1` = HTTP/1.1 only; `http2` = HTTP/2 for everything. Upgrades always use HTTP/1.1.
   */
  backendProtocol: BackendProtocol
  /** --backend-http2 (older flag): true = backendProtocol http2; false = not http2 (auto unless http1 is given). Unset after complete() when not given. */
  backendHttp2?: boolean
  /** --backend-max-connections: HTTP/1.1 connections per shard for short requests (default 128). */
  backendMaxConnections: number
  /** --backend-queue-size: short requests that may wait for one of those connections per shard (default 1000); more get 429. */
  backendQueueSize: number
  /** --backend-queue-timeout: longest such wait before a 429 (default 10 s). */
  backendQueueTimeoutSeconds: number
  /** --enable-fair-queuing: short requests queue fairly between flows at each shard; system:masters and health checks are exempt (default true). */
  enableFairQueuing: boolean
  /** --fair-queuing-flow-key: what a flow is, `user` (default) or `user-workspace`. */
  fairQueuingFlowKey: FlowKey
  /** --fair-queuing-queue-length: requests of one flow that may wait per shard (default 100); more get 429. */
  fairQueuingQueueLength: number
  /** --request-body-timeout: a request body must arrive completely within this of the request's start (default 60 s). */
  requestBodyTimeoutSeconds: number
  /** --request-body-buffer-size: bodies up to this many bytes are read before a shard connection is taken (default 3 MiB). */
  requestBodyBufferBytes: number
  /** --feature-gates (kcp set) */
  featureGates: Record<string, boolean>
  /** --workers: serving processes (src/workers); unset = the CPUs available (the CLI decides), 0 or 1 = one process. Embedded proxies ignore it. */
  workers?: number
  /** --oidc-issuers-file: YAML list of further OIDC issuers; complete() loads it into authentication.oidcIssuers. */
  oidcIssuersFile?: string
  /** --shard-peer-kubeconfig (repeatable, absolute): shards whose Admin workspace serves Shards besides the root shard's. */
  shardPeerKubeconfigs: string[]
  /** --tracing-config-file: kube-apiserver's TracingConfiguration; absent = no tracing. complete() loads it into `tracing`. */
  tracingConfigFile?: string
}

export interface FrontProxyOptions {
  secureServing: SecureServingOptions
  authentication: AuthenticationOptions
  proxy: ProxyOptions
  logging: LoggingOptions
  extra: ExtraOptions
}

/** Any subset, as given by createFrontProxy() callers. OIDC issuers may be partial too (defaults as the --oidc-* flags). */
export type FrontProxyInput = { [K in Exclude<keyof FrontProxyOptions, 'authentication'>]?: Partial<FrontProxyOptions[K]> } & {
  authentication?: Partial<Omit<AuthenticationOptions, 'oidcIssuers'>> & { oidcIssuers?: Partial<OIDCIssuerOptions>[] }
}

/** A listen address split once: `[::1]:9090` → { host: '::1', port: 9090 }; an empty host is 0.0.0.0. */
export interface HostPort {
  host: string
  port: number
}

/**
 * A value complete() could not derive from its textual option (a regexp that does not compile, an
 * unreadable or malformed --oidc-issuers-file, a bad host:port), kept for validateOptions() to
 * report with every other problem.
 */
export interface CompletionProblem {
  /** The flag it concerns, without dashes. */
  flag: string
  message: string
}

/**
 * After complete(): absolute paths, defaults filled in, and every textual value the program acts on
 * parsed once into the typed field beside it, so nothing outside src/config parses or checks options
 * again. Only src/config makes these; validateOptions() must have returned no errors before use.
 */
export interface CompletedOptions extends FrontProxyOptions {
  readonly completed: true
  secureServing: SecureServingOptions & {
    /** --tls-cipher-suites, --tls-curve-preferences, --tls-min-version as Node's tls settings. */
    tls: NodeTLSSettings
  }
  authentication: CompletedAuthenticationOptions
  proxy: ProxyOptions & {
    /** --cors-allowed-origins compiled (Go syntax translated), in the order given. */
    corsOrigins: RegExp[]
  }
  logging: LoggingOptions & {
    /** --log-flush-frequency in seconds. */
    logFlushSeconds: number
  }
  extra: ExtraOptions & {
    /** --metrics-bind-address split; undefined = no plain metrics listener. */
    metricsListen: HostPort | undefined
    /** --tracing-config-file loaded; undefined = tracing off (no flag, or a file validateOptions() refuses). */
    tracing: TracingConfig | undefined
  }
  /** Reported by validateOptions(); the typed fields above leave out what could not be derived. */
  readonly problems: readonly CompletionProblem[]
}

export interface CompletedAuthenticationOptions extends AuthenticationOptions {
  /**
   * Every OIDC issuer: the --oidc-* flags' one first (when --oidc-issuer-url is set), then
   * oidcIssuers (given, then loaded from --oidc-issuers-file), each with its defaults filled in.
   */
  allOIDCIssuers: OIDCIssuerOptions[]
}
