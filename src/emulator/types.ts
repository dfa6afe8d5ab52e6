// Public contract of the in-process kcp topology emulator (root shard + N shards over HTTPS).
// Harness authors, the proxy's demo mode and every other module's tests code against this file.
import type { Logger } from 'pino'
import type { KeyPair } from '../pki/index.js'

export type { KeyPair } from '../pki/index.js'

export interface ShardSpecInput {
  name: string
  labels?: Record<string, string>
}

export interface StaticToken {
  token: string
  user: string
  uid?: string
  groups?: string[]
}

export interface TopologyOptions {
  /** Default `['root']`. The FIRST shard is the root shard (it hosts logical cluster `root`). */
  shards?: (string | ShardSpecInput)[]
  /** Listen address, default `127.0.0.1`. Every shard listens on port 0 (an ephemeral port). */
  host?: string
  /** When set, `writeFiles(dir)` runs during start. */
  dir?: string
  /**
   * Put into `Shard.spec.externalURL`, Workspace `spec.URL` and LogicalCluster `status.URL`, as kcp's
   * --shard-external-url (a front-proxy's URL). Default: each shard's baseURL. `setExternalURL` changes it later.
   */
  externalURL?: string
  /** Watch events kept per shard so watches can resume from an older RV. Default 10_000. */
  historyWindow?: number
  /** Delay of each Scheduling → Initializing → Ready step. Default 0. */
  schedulingDelayMs?: number
  /** CNs of requestheader-CA certificates whose X-Remote-* headers are trusted. Default `['kcp-front-proxy']`. */
  requestHeaderAllowedNames?: string[]
  /** Static bearer tokens. Default: admin-token (system:masters), user-token, bob-token. */
  tokens?: StaticToken[]
  /** Interval of BOOKMARK events on watches with allowWatchBookmarks (sent only when the RV advanced). Default 60_000. */
  bookmarkIntervalMs?: number
  /**
   * Serve every shard over HTTP/2 (ALPN h2, HTTP/1.1 still accepted), as real kcp shards do.
   * Default false: HTTP/1.1 only. Allows 1000 concurrent streams per connection.
   */
  http2?: boolean
  /** When false (default), a system:masters write to an unknown logical cluster auto-creates it. */
  strictClusters?: boolean
  logger?: Logger
}

export interface TopologyPKI {
  servingCA: KeyPair
  clientCA: KeyPair
  requestHeaderCA: KeyPair
  /** CN kcp-front-proxy, signed by requestHeaderCA. */
  proxyClient: KeyPair
  /** CN shard-admin, O system:masters, signed by clientCA. */
  shardAdmin: KeyPair
  /** CN admin, O system:masters and system:kcp:admin, signed by clientCA. */
  admin: KeyPair
}

export type IdentityHashGroup = 'tenancy.kcp.io' | 'topology.kcp.io' | 'shards.core.kcp.io' | 'migration.kcp.io'

export interface KubeconfigOptions {
  /** Shard name, default the root shard. */
  shard?: string
  /** Appends `/clusters/<cluster>` to the server URL. */
  cluster?: string
  /** Default `admin` (the admin client certificate). */
  user?: 'admin' | 'shard-admin' | { token: string } | KeyPair
  /** Overrides the server URL entirely (e.g. a front-proxy URL). */
  server?: string
}

/** Absolute paths written by `writeFiles`. */
export interface TopologyFiles {
  dir: string
  /** Serving CA (verifies every shard). */
  caCert: string
  clientCACert: string
  requestHeaderCACert: string
  proxyClientCert: string
  proxyClientKey: string
  adminCert: string
  adminKey: string
  /** Admin on the root shard, no cluster path. */
  rootKubeconfig: string
  /** shard-admin credentials, server = root shard baseURL. */
  shardsKubeconfig: string
  /** Admin on the root shard at `/clusters/root`. */
  adminKubeconfig: string
  /** Front-proxy mapping file: `/clusters/` and `/services/` → root shard. */
  mappingYaml: string
  /** `token,user,uid,"group1,group2"` lines, the kube static token file format. */
  tokenCsv: string
}

export interface CreateWorkspaceOptions {
  /** Force this shard instead of a random one. */
  shard?: string
  /** Workspace type as `path:name`, default `root:universal`. */
  type?: string
  /** A mount workspace: no logical cluster, `spec.URL` = mount URL. */
  mount?: { URL: string; ref?: object }
  /** Resolve once this phase is reached instead of `Ready`. */
  waitForPhase?: string
  /** `spec.location.selector.matchLabels` against Shard labels. */
  selector?: Record<string, string>
}

export interface SeedWorkspacesOptions {
  /** Shards to place the workspaces on, round-robin. Default: every shard, in the order they were added. */
  shards?: readonly string[]
  /** Workspace type as `path:name`, default `root:universal`. */
  type?: string
}

export interface CreatedWorkspace {
  /** Canonical path, e.g. `root:org`. */
  path: string
  /** Logical cluster name ('' for mounts). */
  cluster: string
  /** Shard name ('' for mounts). */
  shard: string
}

export interface ShardStats {
  requests: number
  openWatches: number
  /** TCP connections accepted since the shard was created (a proxy's handshake count, seen from the shard). */
  connections: number
}

export interface EmulatedShard {
  readonly name: string
  /** `https://<host>:<port>` (no trailing slash). */
  readonly baseURL: string
  readonly port: number
  /** Closes the listener and every connection; the store is kept. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): Promise<void>
  /** Ends every open watch stream cleanly. */
  dropWatches(): void
  /** Drops watch history: re-watching from an older RV yields ERROR 410. */
  compact(): void
  /** Delays every response by `ms`. */
  setLatency(ms: number): void
  readonly stats: ShardStats
  /**
   * Calls `fn` with the method, path and headers of every request this shard receives from now on
   * (a test asserting what reached the shard, e.g. the traceparent a proxy sent); returns the untap.
   */
  tapRequests(fn: (r: ReceivedRequest) => void): () => void
}

/** A request as a shard received it. */
export interface ReceivedRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

export interface Topology {
  readonly root: EmulatedShard
  readonly shards: ReadonlyMap<string, EmulatedShard>
  readonly identityHashes: Readonly<Record<IdentityHashGroup, string>>
  readonly pki: Readonly<TopologyPKI>
  /** kubeconfig YAML. server = shard baseURL (+ `/clusters/<cluster>` when given); user = admin cert by default. */
  kubeconfig(o?: KubeconfigOptions): string
  /** Every shard accepts this static bearer token from now on. */
  addToken(t: StaticToken): void
  writeFiles(dir: string): Promise<TopologyFiles>
  addShard(name: string, o?: { labels?: Record<string, string> }): Promise<EmulatedShard>
  /** Stops the shard and deletes its Shard object. */
  removeShard(name: string): Promise<void>
  /**
   * The URL clients reach workspaces at, usually a front-proxy's (kcp's --shard-external-url): Shard
   * spec.externalURL, Workspace spec.URL and LogicalCluster status.URL are rewritten to it (MODIFIED events)
   * and new workspaces get it. undefined = each shard's baseURL again.
   */
  setExternalURL(url: string | undefined): Promise<void>
  /** e.g. switch 127.0.0.1 ↔ localhost (both are in the serving certificate). */
  setShardBaseURL(name: string, baseURL: string): Promise<void>
  /**
   * Creates Workspace `name` in the logical cluster at `parentPath` (`root`, `root:org` or an LC name) and
   * schedules it. Resolves when Ready (or when `waitForPhase` is reached).
   */
  createWorkspace(parentPath: string, name: string, o?: CreateWorkspaceOptions): Promise<CreatedWorkspace>
  /**
   * Bulk seeding for large topologies: creates Ready workspaces named `names` under `parentPath` at once,
   * skipping the Scheduling and Initializing phases (and their writes and events). Each gets the same objects
   * a scheduled workspace ends with: the Workspace, its Ready LogicalCluster and `default` namespace.
   * Shards are taken round-robin from `o.shards` (default: every shard). Synchronous; throws on the first
   * name that already exists, after seeding the ones before it.
   */
  seedWorkspaces(parentPath: string, names: readonly string[], o?: SeedWorkspacesOptions): CreatedWorkspace[]
  /** Deletes the Workspace, its logical cluster and every object of that cluster. */
  deleteWorkspace(path: string): Promise<void>
  /** Sets `status.phase` of the Workspace and its LogicalCluster, e.g. `Unavailable`. */
  setWorkspacePhase(path: string, phase: string): Promise<void>
  resolvePath(path: string): { cluster: string; shard: string } | undefined
  /**
   * Creates or replaces WorkspaceType `name` in the logical cluster at `path` (annotated with that
   * cluster's `kcp.io/path`, as kcp does). Workspaces of type `<path>:<name>` accept the tokens of the
   * WorkspaceAuthenticationConfigurations it lists (same cluster) at a front-proxy with the gate on.
   */
  putWorkspaceType(path: string, name: string, o?: { authenticationConfigurations?: readonly string[] }): Promise<void>
  /** Creates or replaces WorkspaceAuthenticationConfiguration `name` (spec `{ jwt: [...] }`, kcp's shape) at `path`. */
  putAuthConfig(path: string, name: string, spec: { jwt: readonly object[] }): Promise<void>
  deleteWorkspaceType(path: string, name: string): Promise<void>
  deleteAuthConfig(path: string, name: string): Promise<void>
  close(): Promise<void>
}
