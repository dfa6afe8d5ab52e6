// The one table of command-line flags: every flag upstream kcp-front-proxy registers
// (docs/upstream.md#flags to #other-flags), then our additions in their own section. Parsing, help output
// and the flag tables of docs/configuration.md and the README (flag-docs.ts) are all derived
// from this table, so a flag cannot exist in one place and be missing in another.

import type { FrontProxyOptions } from './types.js'

export type FlagType =
  | 'string'
  | 'int'
  | 'float'
  | 'bool'
  /** pflag StringSlice: comma-separated (CSV), repeatable; first use replaces the default, later uses append. */
  | 'stringSlice'
  /** pflag StringArray: repeatable, no comma splitting. */
  | 'stringArray'
  /** cliflag MapStringStringNoSplit: repeatable `key=value`. */
  | 'mapStringString'
  /** cliflag MapStringBool: `A=true,B=false`, repeatable, merged. */
  | 'mapStringBool'
  /** Go duration, kept as the validated string (upstream fields we only check). */
  | 'duration'
  /** Go duration, converted to seconds (our extension fields). */
  | 'durationSeconds'
  /** cliflag NamedCertKey: `cert,key[:domain,...]`, repeatable. */
  | 'namedCertKey'

export type Section = 'secure-serving' | 'authentication' | 'proxy' | 'logging' | 'kcp' | 'global' | 'front-proxy extensions'

export const sections: readonly Section[] = ['secure-serving', 'authentication', 'proxy', 'logging', 'kcp', 'global', 'front-proxy extensions']

/** Which options field a flag sets: [group, field]. */
export type Target = { [G in keyof FrontProxyOptions]: readonly [G, keyof FrontProxyOptions[G] & string] }[keyof FrontProxyOptions]

/**
 * - same: behaves as upstream.
 * - extension: ours, not in upstream.
 * - no-effect: upstream registers it but does not use it in the front-proxy either; accepted and checked.
 * - unsupported: upstream honours it, we do not; any non-default value is a validation error.
 */
export type Support = 'same' | 'extension' | 'no-effect' | 'unsupported'

export interface FlagDef {
  name: string
  shorthand?: string
  type: FlagType
  section: Section
  /** Default as upstream prints it in --help ('' = not printed). */
  defaultText: string
  help: string
  /** Placeholder shown in help instead of the type name (pflag back-quote convention). */
  valueName?: string
  target?: Target
  /** complete() leaves the field unset when the flag is not given (its absence means something). */
  optional?: true
  /** Value when the flag is given without one (pflag NoOptDefVal); bools default to 'true'. */
  noOptValue?: string
  support: Support
  /** Why, for no-effect / unsupported flags and deliberate differences; shown in docs. */
  note?: string
}

const ss = 'secure-serving' as const
const au = 'authentication' as const
const px = 'proxy' as const
const lg = 'logging' as const
const ex = 'front-proxy extensions' as const

export const flags: readonly FlagDef[] = [
  // ── secure-serving (k8s SecureServingOptions, front-proxy defaults) ──────────────
  { name: 'bind-address', type: 'string', valueName: 'ip', section: ss, defaultText: '0.0.0.0', target: ['secureServing', 'bindAddress'], support: 'same',
    help: 'IP address to listen on for the secure port. 0.0.0.0 / :: listen on every interface.' },
  { name: 'secure-port', type: 'int', section: ss, defaultText: '443', target: ['secureServing', 'securePort'], support: 'same',
    help: 'Port to serve HTTPS on (0 = a free port, logged at startup).' },
  { name: 'cert-dir', type: 'string', section: ss, defaultText: '', target: ['secureServing', 'certDir'], support: 'same',
    help: 'Directory of apiserver.crt/apiserver.key, used when --tls-cert-file is not given; a self-signed pair is generated there if missing. Empty = --root-directory; a relative path is joined onto --root-directory.' },
  { name: 'tls-cert-file', type: 'string', section: ss, defaultText: '', target: ['secureServing', 'tlsCertFile'], support: 'same',
    help: 'PEM serving certificate (followed by intermediates). Reloaded when the file changes.' },
  { name: 'tls-private-key-file', type: 'string', section: ss, defaultText: '', target: ['secureServing', 'tlsPrivateKeyFile'], support: 'same',
    help: 'PEM private key matching --tls-cert-file.' },
  { name: 'tls-sni-cert-key', type: 'namedCertKey', section: ss, defaultText: '[]', target: ['secureServing', 'tlsSniCertKey'], support: 'same',
    help: 'Extra certificate for SNI: "cert,key" or "cert,key:domain1,domain2" (domains default to the certificate\'s DNS names, else its CN; wildcards allowed). Repeatable.' },
  { name: 'tls-cipher-suites', type: 'stringSlice', section: ss, defaultText: '', target: ['secureServing', 'tlsCipherSuites'], support: 'same',
    help: 'Comma-separated TLS 1.2 cipher suites by Go name (e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256). Empty = Node defaults.' },
  { name: 'tls-min-version', type: 'string', section: ss, defaultText: '', target: ['secureServing', 'tlsMinVersion'], support: 'same',
    help: 'Minimum TLS version: VersionTLS12 or VersionTLS13. Empty = VersionTLS12.',
    note: 'VersionTLS10/11 are refused (Node/OpenSSL disable them by default).' },
  { name: 'tls-curve-preferences', type: 'stringSlice', section: ss, defaultText: '', target: ['secureServing', 'tlsCurvePreferences'], support: 'same',
    help: 'Comma-separated key-exchange groups by Go name (X25519, CurveP256, CurveP384, CurveP521, X25519MLKEM768). Empty = Node defaults.' },
  { name: 'http2-max-streams-per-connection', type: 'int', section: ss, defaultText: '0', target: ['secureServing', 'http2MaxStreamsPerConnection'], support: 'same',
    help: 'Maximum concurrent HTTP/2 streams per client connection. 0 = 100.' },
  { name: 'disable-http2-serving', type: 'bool', section: ss, defaultText: 'false', target: ['secureServing', 'disableHttp2Serving'], support: 'same',
    help: 'Serve HTTP/1.1 only (no h2 in ALPN).' },
  { name: 'permit-port-sharing', type: 'bool', section: ss, defaultText: 'false', target: ['secureServing', 'permitPortSharing'], support: 'same',
    help: 'Bind with SO_REUSEPORT so several processes can share the port.',
    note: 'Needs Node ≥ 22.12 (net reusePort); refused on older Node.' },
  { name: 'permit-address-sharing', type: 'bool', section: ss, defaultText: 'false', target: ['secureServing', 'permitAddressSharing'], support: 'same',
    help: 'Bind with SO_REUSEADDR (address in TIME_WAIT may be reused).',
    note: 'Node always sets SO_REUSEADDR on listening sockets, so this is effectively always on.' },

  // ── authentication (k8s BuiltInAuthenticationOptions subset + kcp group filter) ──
  { name: 'api-audiences', type: 'stringSlice', section: au, defaultText: '', target: ['authentication', 'apiAudiences'], support: 'same',
    help: 'Accepted audiences of service-account tokens. Empty = the service-account issuers.' },
  { name: 'client-ca-file', type: 'string', section: au, defaultText: '', target: ['authentication', 'clientCAFile'], support: 'same',
    help: 'CA bundle for client certificates: a verified certificate authenticates as CN (user) with O (groups). Reloaded on change.' },
  { name: 'token-auth-file', type: 'string', section: au, defaultText: '', target: ['authentication', 'tokenAuthFile'], support: 'same',
    help: 'Static bearer tokens, CSV: token,user,uid,"group1,group2".' },
  { name: 'oidc-issuer-url', type: 'string', section: au, defaultText: '', target: ['authentication', 'oidcIssuerURL'], support: 'same',
    help: 'https URL of the OpenID issuer; enables OIDC bearer tokens.' },
  { name: 'oidc-client-id', type: 'string', section: au, defaultText: '', target: ['authentication', 'oidcClientID'], support: 'same',
    help: 'Client ID every OIDC token must be issued for (aud). Required with --oidc-issuer-url.' },
  { name: 'oidc-ca-file', type: 'string', section: au, defaultText: '', target: ['authentication', 'oidcCAFile'], support: 'same',
    help: 'CA bundle for TLS to the OIDC issuer. Empty = system roots.' },
  { name: 'oidc-username-claim', type: 'string', section: au, defaultText: 'sub', target: ['authentication', 'oidcUsernameClaim'], support: 'same',
    help: 'Claim used as the user name.' },
  { name: 'oidc-username-prefix', type: 'string', section: au, defaultText: '', target: ['authentication', 'oidcUsernamePrefix'], support: 'same',
    help: 'Prefix for user names. Empty: claims other than email get "<issuer>#"; "-" disables prefixing.' },
  { name: 'oidc-groups-claim', type: 'string', section: au, defaultText: '', target: ['authentication', 'oidcGroupsClaim'], support: 'same',
    help: 'Claim holding the groups (string or array of strings).' },
  { name: 'oidc-groups-prefix', type: 'string', section: au, defaultText: '', target: ['authentication', 'oidcGroupsPrefix'], support: 'same',
    help: 'Prefix for every group from the groups claim.' },
  { name: 'oidc-signing-algs', type: 'stringSlice', section: au, defaultText: '[RS256]', target: ['authentication', 'oidcSigningAlgs'], support: 'same',
    help: 'Accepted JOSE signing algorithms (RS*, PS*, ES*). HS* and none are never accepted.' },
  { name: 'oidc-required-claim', type: 'mapStringString', section: au, defaultText: '', target: ['authentication', 'oidcRequiredClaim'], support: 'same',
    help: 'key=value a token must carry as a claim. Repeatable.' },
  { name: 'authentication-config', type: 'string', section: au, defaultText: '', target: ['authentication', 'authenticationConfig'], support: 'unsupported',
    help: 'Structured AuthenticationConfiguration file.',
    note: 'Not supported by this front-proxy; use --oidc-issuers-file for several OIDC issuers.' },
  { name: 'service-account-key-file', type: 'stringArray', section: au, defaultText: '[]', target: ['authentication', 'serviceAccountKeyFiles'], support: 'same',
    help: 'PEM public keys (or certificates) verifying service-account tokens; give every shard\'s key for cross-shard tokens. Repeatable.' },
  { name: 'service-account-issuer', type: 'stringArray', section: au, defaultText: '[https://kcp.default.svc]', target: ['authentication', 'serviceAccountIssuers'], support: 'same',
    help: 'Accepted iss of service-account tokens. Repeatable.' },
  { name: 'service-account-lookup', type: 'bool', section: au, defaultText: 'true', target: ['authentication', 'serviceAccountLookup'], support: 'same',
    help: 'Check that the service account (and legacy token secret) still exists, via the root kubeconfig.' },
  { name: 'service-account-jwks-uri', type: 'string', section: au, defaultText: '', support: 'no-effect',
    help: 'Registered for compatibility.', note: 'Only used by token issuers; no effect in a front-proxy (upstream neither).' },
  { name: 'service-account-max-token-expiration', type: 'duration', section: au, defaultText: '0s', support: 'no-effect',
    help: 'Registered for compatibility.', note: 'Only used by token issuers; no effect in a front-proxy (upstream neither).' },
  { name: 'service-account-extend-token-expiration', type: 'bool', section: au, defaultText: 'true', support: 'no-effect',
    help: 'Registered for compatibility.', note: 'Only used by token issuers; no effect in a front-proxy (upstream neither).' },
  { name: 'requestheader-username-headers', type: 'stringSlice', section: au, defaultText: '[]', target: ['authentication', 'requestheaderUsernameHeaders'], support: 'same',
    help: 'Headers carrying the user name from a trusted proxy (usually X-Remote-User). Empty disables requestheader authentication.' },
  { name: 'requestheader-uid-headers', type: 'stringSlice', section: au, defaultText: '[]', target: ['authentication', 'requestheaderUIDHeaders'], support: 'same',
    help: 'Headers carrying the user UID from a trusted proxy.' },
  { name: 'requestheader-group-headers', type: 'stringSlice', section: au, defaultText: '[]', target: ['authentication', 'requestheaderGroupHeaders'], support: 'same',
    help: 'Headers carrying groups from a trusted proxy (usually X-Remote-Group).' },
  { name: 'requestheader-extra-headers-prefix', type: 'stringSlice', section: au, defaultText: '[]', target: ['authentication', 'requestheaderExtraHeadersPrefix'], support: 'same',
    help: 'Header prefixes carrying extra attributes from a trusted proxy (usually X-Remote-Extra-).' },
  { name: 'requestheader-client-ca-file', type: 'string', section: au, defaultText: '', target: ['authentication', 'requestheaderClientCAFile'], support: 'same',
    help: 'CA that signs the client certificates of trusted proxies; only their identity headers are believed. Also advertised in the TLS handshake.' },
  { name: 'requestheader-allowed-names', type: 'stringSlice', section: au, defaultText: '[]', target: ['authentication', 'requestheaderAllowedNames'], support: 'same',
    help: 'Allowed common names of trusted proxy certificates. Empty = any certificate from --requestheader-client-ca-file.' },
  { name: 'authentication-token-webhook-config-file', type: 'string', section: au, defaultText: '', target: ['authentication', 'authenticationTokenWebhookConfigFile'], support: 'unsupported',
    help: 'Kubeconfig of a TokenReview webhook.', note: 'Not supported by this front-proxy.' },
  { name: 'authentication-token-webhook-version', type: 'string', section: au, defaultText: 'v1beta1', target: ['authentication', 'authenticationTokenWebhookVersion'], support: 'no-effect',
    help: 'TokenReview version for the webhook (v1 or v1beta1).', note: 'Checked; has no effect because the webhook is not supported.' },
  { name: 'authentication-token-webhook-cache-ttl', type: 'duration', section: au, defaultText: '2m0s', target: ['authentication', 'authenticationTokenWebhookCacheTTL'], support: 'no-effect',
    help: 'How long webhook answers are cached.', note: 'Checked; has no effect because the webhook is not supported.' },
  { name: 'authentication-pass-on-groups', type: 'stringSlice', section: au, defaultText: '[]', target: ['authentication', 'authenticationPassOnGroups'], support: 'same',
    help: 'Groups forwarded to shards ("prefix*" matches a prefix). Empty = all.' },
  { name: 'authentication-drop-groups', type: 'stringSlice', section: au, defaultText: '[system:masters,system:kcp:logical-cluster-admin,system:kcp:initializer:*,system:kcp:terminator:*]',
    target: ['authentication', 'authenticationDropGroups'], support: 'same',
    help: 'Groups never forwarded to shards ("prefix*" matches a prefix); beats --authentication-pass-on-groups. An empty value clears the defaults.' },

  // ── proxy (kcp pkg/proxy/options) ────────────────────────────────────────────────
  { name: 'mapping-file', type: 'string', section: px, defaultText: '', target: ['proxy', 'mappingFile'], support: 'same',
    help: 'YAML list of path mappings to backends (required). Reloaded when the file changes.' },
  { name: 'root-directory', type: 'string', section: px, defaultText: '.kcp', target: ['proxy', 'rootDirectory'], support: 'same',
    help: 'Base directory for generated files, made absolute against the working directory; --cert-dir defaults to it. Only the self-signed serving certificate and key are ever generated.' },
  { name: 'root-kubeconfig', type: 'string', section: px, defaultText: '', target: ['proxy', 'rootKubeconfig'], support: 'same',
    help: 'Kubeconfig of the root shard, its server without /clusters (required). Used for Shards, APIExport identities, service-account lookups and /metrics authorization.',
    note: 'Required here: upstream falls back to in-cluster config, which would point at the hosting cluster, not kcp.' },
  { name: 'shards-kubeconfig', type: 'string', section: px, defaultText: '', target: ['proxy', 'shardsKubeconfig'], support: 'same',
    help: "Kubeconfig whose credentials and CA are used to watch every shard (required); its server is not used (each Shard's spec.baseURL is), so `server: \"\"` as kcp's tooling writes it is fine." },
  { name: 'profiler-address', type: 'string', section: px, defaultText: '', target: ['proxy', 'profilerAddress'], support: 'unsupported',
    help: 'Address of a Go pprof listener.', note: 'Not supported by this front-proxy (no pprof in Node); use node --inspect or --cpu-prof.' },
  { name: 'cors-allowed-origins', type: 'stringSlice', section: px, defaultText: '[]', target: ['proxy', 'corsAllowedOrigins'], support: 'same',
    help: 'Regular expressions (unanchored, Go syntax subset) of allowed CORS origins. Empty disables CORS.' },

  // ── logging (k8s logsapi) ────────────────────────────────────────────────────────
  { name: 'v', shorthand: 'v', type: 'int', valueName: 'Level', section: lg, defaultText: '2', target: ['logging', 'v'], support: 'same',
    help: 'Log verbosity: 0-1 warn, 2-3 info (with one line per request), 4-5 debug, 6+ trace.' },
  { name: 'vmodule', type: 'string', valueName: 'pattern=N,...', section: lg, defaultText: '', target: ['logging', 'vmodule'], support: 'unsupported',
    help: 'Per-file verbosity.', note: 'Not supported by this front-proxy (klog-specific).' },
  { name: 'logging-format', type: 'string', section: lg, defaultText: 'json', target: ['logging', 'loggingFormat'], support: 'same',
    help: 'Log format: json (one JSON object per line).',
    note: 'Upstream defaults to text; this front-proxy writes JSON lines only and refuses text (pipe through a JSON log viewer to read them).' },
  { name: 'log-flush-frequency', type: 'duration', section: lg, defaultText: '5s', target: ['logging', 'logFlushFrequency'], support: 'same',
    help: 'Maximum time between log flushes.', note: 'The longest a request line waits for its 16 KiB batch before it is written; every other line is written at once.' },

  // ── kcp ──────────────────────────────────────────────────────────────────────────
  { name: 'feature-gates', type: 'mapStringBool', valueName: 'mapStringBool', section: 'kcp', defaultText: '', target: ['extra', 'featureGates'], support: 'same',
    help: 'key=value pairs of feature gates. Known: WorkspaceAuthentication=true|false (ALPHA - default=false).',
    note: 'WorkspaceAuthentication=true: per-workspace JWT authentication from WorkspaceTypes and WorkspaceAuthenticationConfigurations (docs/auth.md); unknown gates are refused as upstream does.' },

  // ── global ───────────────────────────────────────────────────────────────────────
  { name: 'help', shorthand: 'h', type: 'bool', section: 'global', defaultText: '', support: 'same', help: 'Print this help and exit.' },
  { name: 'version', type: 'string', valueName: 'version[=true]', noOptValue: 'true', section: 'global', defaultText: '', support: 'same',
    help: 'Print version information and exit (--version=raw prints it as JSON).' },

  // ── front-proxy extensions: NOT in upstream kcp-front-proxy ────────────────────────
  { name: 'metrics-bind-address', type: 'string', valueName: 'host:port', section: ex, defaultText: '', target: ['extra', 'metricsBindAddress'], support: 'extension',
    help: 'Also serve /metrics over plain HTTP on this address, without authentication, for in-cluster scraping. Empty = off.' },
  { name: 'shutdown-delay-duration', type: 'durationSeconds', section: ex, defaultText: '0s', target: ['extra', 'shutdownDelaySeconds'], support: 'extension',
    help: 'After SIGTERM, fail /readyz but keep serving this long so load balancers deregister the replica.' },
  { name: 'shutdown-timeout', type: 'durationSeconds', section: ex, defaultText: '1m0s', target: ['extra', 'shutdownTimeoutSeconds'], support: 'extension',
    help: 'After the listener closes, how long in-flight requests may finish before connections are cut (watches end at once).' },
  { name: 'shard-sync-timeout', type: 'durationSeconds', section: ex, defaultText: '30s', target: ['extra', 'shardSyncTimeoutSeconds'], support: 'extension',
    help: 'A shard not synced within this is reported failing and no longer holds back readiness.' },
  { name: 'goaway-chance', type: 'float', section: ex, defaultText: '0', target: ['extra', 'goawayChance'], support: 'extension',
    help: 'Probability (0..0.02) per HTTP/2 request of sending GOAWAY so clients reconnect and rebalance across replicas.' },
  { name: 'backend-protocol', type: 'string', valueName: 'auto|http1|http2', section: ex, defaultText: 'auto', target: ['extra', 'backendProtocol'], support: 'extension',
    help: 'Protocol to the shards. auto: short requests on bounded HTTP/1.1 keep-alive connections, watches and other long-running requests multiplexed over HTTP/2 when the shard offers it (CPU of HTTP/1.1, memory per watch of HTTP/2); http1: HTTP/1.1 only, one connection per watch; http2: HTTP/2 for everything. Upgrades always use HTTP/1.1.' },
  { name: 'backend-http2', type: 'bool', section: ex, defaultText: 'false', target: ['extra', 'backendHttp2'], optional: true, support: 'extension',
    help: 'Older form: true = --backend-protocol=http2; false = the default (auto).' },
  { name: 'backend-max-connections', type: 'int', section: ex, defaultText: '128', target: ['extra', 'backendMaxConnections'], support: 'extension',
    help: 'HTTP/1.1 to shards: connections per shard (and client identity) for short requests; more wait for a free one (--backend-queue-size). Watches and other long-running requests use separate connections, never limited.' },
  { name: 'backend-queue-size', type: 'int', section: ex, defaultText: '1000', target: ['extra', 'backendQueueSize'], support: 'extension',
    help: 'Short requests that may wait per shard when all --backend-max-connections are busy; beyond it a request gets 429 with Retry-After. A waiting request whose client goes away leaves the queue at once.' },
  { name: 'backend-queue-timeout', type: 'durationSeconds', section: ex, defaultText: '10s', target: ['extra', 'backendQueueTimeoutSeconds'], support: 'extension',
    help: 'Longest a short request waits for a connection to its shard before it gets 429 with Retry-After.' },
  { name: 'enable-fair-queuing', type: 'bool', section: ex, defaultText: 'true', target: ['extra', 'enableFairQueuing'], support: 'extension',
    help: 'Short requests waiting at a shard (--backend-queue-size) are served fairly between flows (--fair-queuing-flow-key), and a full queue makes room for a flow within --fair-queuing-queue-length, as Kubernetes API Priority and Fairness does; group system:masters is never queued; the shard health checks /healthz, /livez, /readyz are one flow of their own. With --backend-protocol=http2 short requests are then limited to --backend-max-connections in flight per shard too.' },
  { name: 'fair-queuing-flow-key', type: 'string', valueName: 'user|user-workspace', section: ex, defaultText: 'user', target: ['extra', 'fairQueuingFlowKey'], support: 'extension',
    help: 'What one flow is: user = every request of one user; user-workspace = of one user in one logical cluster. Requests the proxy does not authenticate (the shard checks their token) are one flow per logical cluster.' },
  { name: 'fair-queuing-queue-length', type: 'int', section: ex, defaultText: '100', target: ['extra', 'fairQueuingQueueLength'], support: 'extension',
    help: 'Requests of one flow a full shard queue still makes room for, by answering the newest request of the flow with the most waiting 429 with Retry-After; past it the flow\'s own request gets the 429. One flow alone may fill the whole queue. A mapping entry may set its own (fair_queuing_queue_length).' },
  { name: 'request-body-timeout', type: 'durationSeconds', section: ex, defaultText: '1m0s', target: ['extra', 'requestBodyTimeoutSeconds'], support: 'extension',
    help: 'A request body must arrive completely within this, counted from the request\'s start; else 408 and the connection is closed. Requests without a body (watches) are not affected.' },
  { name: 'request-body-buffer-size', type: 'int', section: ex, defaultText: '3145728', target: ['extra', 'requestBodyBufferBytes'], support: 'extension',
    help: 'Request bodies up to this many bytes are read completely before a shard connection is taken, so a slow client holds none; larger bodies stream (at most 256 MiB buffered at once in all).' },
  { name: 'workers', type: 'int', section: ex, defaultText: '', target: ['extra', 'workers'], optional: true, support: 'extension',
    help: 'Processes serving the port (node:cluster): one primary runs the shard watches and streams the routing index to them. Default: the CPUs available to the process (its CPU affinity, capped by the cgroup CPU limit); 0 or 1 = a single process.' },
  { name: 'oidc-issuers-file', type: 'string', section: ex, defaultText: '', target: ['extra', 'oidcIssuersFile'], optional: true, support: 'extension',
    help: 'YAML list of further OIDC issuers ({issuerURL, clientID, caFile, usernameClaim, usernamePrefix, groupsClaim, groupsPrefix, signingAlgs, requiredClaims}).' },
  { name: 'shard-peer-kubeconfig', type: 'stringArray', section: ex, defaultText: '[]', target: ['extra', 'shardPeerKubeconfigs'], support: 'extension',
    help: "Kubeconfig of a peer shard (repeatable; its current context, server without a path). Shards and APIExport identities are then read from the peers' and the root shard's Admin workspace (/services/admin, needs group system:kcp:admin), round-robin with failover, so discovery survives the root shard being down. Empty = from the root shard only.",
    note: 'kcp adds this flag to its front-proxy in PR #4373, after the version this proxy follows; there every cluster of a peer kubeconfig is a peer, here each kubeconfig is one peer (docs/controller.md).' },
  { name: 'tracing-config-file', type: 'string', section: ex, defaultText: '', target: ['extra', 'tracingConfigFile'], optional: true, support: 'extension',
    help: 'File with kube-apiserver\'s TracingConfiguration (apiserver.config.k8s.io/v1alpha1, v1beta1 or v1: endpoint, an OTLP/gRPC collector as host:port, default localhost:4317; samplingRatePerMillion, default 0). Enables OpenTelemetry tracing: a server span per proxied request, W3C traceparent to the shard. Empty = no tracing.',
    note: 'The flag and format of kube-apiserver and kcp (kcp#3463); the Go front-proxy does not trace.' },
]

const byName = new Map<string, FlagDef>()
const byShorthand = new Map<string, FlagDef>()
for (const f of flags) {
  byName.set(f.name, f)
  if (f.shorthand) byShorthand.set(f.shorthand, f)
}

export function flagByName(name: string): FlagDef | undefined {
  return byName.get(name)
}

export function flagByShorthand(ch: string): FlagDef | undefined {
  return byShorthand.get(ch)
}
