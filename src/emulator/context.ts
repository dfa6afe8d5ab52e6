// What the HTTP layer of one shard needs from the rest of the emulator.
import type { Logger } from 'pino'
import type { ShardAuthenticator } from './auth.js'
import type { ShardCore } from './core.js'
import type { Store } from './store.js'
import type { IdentityHashGroup } from './types.js'
import type { WatchRegistry } from './watch.js'

export interface ClusterDirectory {
  identityHash(group: IdentityHashGroup): string
  /** Maps a `/clusters/<segment>` (LC name or workspace path) to the LC name to serve on this shard. */
  resolveSegment(shard: string, segment: string): string
  /** Whether the logical cluster lives on this shard. */
  clusterExists(shard: string, cluster: string): boolean
  /** Creates an unknown logical cluster on this shard (system:masters writes, strictClusters off). */
  ensureCluster(shard: string, cluster: string): void
  readonly strictClusters: boolean
  /** The store the Admin workspace view (`/services/admin`) reads on every shard: kcp's cache server, emulated. */
  adminViewStore(): Store
}

export interface ShardContext {
  readonly name: string
  readonly store: Store
  readonly core: ShardCore
  readonly auth: ShardAuthenticator
  readonly watches: WatchRegistry
  readonly directory: ClusterDirectory
  readonly logger: Logger
  readonly bookmarkIntervalMs: number
  /** `host:port` for legacy discovery's serverAddressByClientCIDRs. */
  readonly serverAddress: string
}
