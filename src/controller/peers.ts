// Which endpoints serve discovery when --shard-peer-kubeconfig is given (kcp PR #4373): every
// peer's Admin workspace (`/services/admin`) and the root shard's, all in the cache server's one
// resourceVersion space, so the Shards watch may move between them freely. The root shard's own
// `/clusters/root` is a different resourceVersion space and is therefore not among them; it stays
// the last resort for APIExport identities only (plain GETs, no resourceVersion), which kcp's
// Admin workspace does not serve. Pure: tested by table.
import type { KubeClientConfig } from '../kube/kubeconfig.js'

export const ADMIN_VIEW_PATH = '/services/admin'

export interface DiscoveryEndpoint {
  /** `peer-<n>` (1-based, in flag order) or `root`; shown in /readyz, logs and metrics. */
  label: string
  config: KubeClientConfig
}

export interface DiscoveryEndpoints {
  /** For the Shards list/watch. */
  shards: DiscoveryEndpoint[]
  /** For the APIExport identity GETs: the same, then the root shard itself. */
  identities: DiscoveryEndpoint[]
}

/** A kubeconfig server may name a cluster (`/clusters/root`); the controller addresses paths itself. */
export function withoutClusterPath(config: KubeClientConfig): KubeClientConfig {
  const server = new URL(config.server)
  server.pathname = server.pathname.replace(/\/clusters\/[^/]+\/?$/, '') || '/'
  return { ...config, server }
}

function adminView(config: KubeClientConfig, what: string): KubeClientConfig {
  const base = withoutClusterPath(config)
  if (base.server.pathname !== '/') {
    throw new Error(`${what} ${config.file}: server ${config.server.href} must be a shard's base URL, without a path other than /clusters/<name>`)
  }
  const server = new URL(base.server)
  server.pathname = ADMIN_VIEW_PATH
  return { ...base, server }
}

/**
 * The discovery endpoints for a root kubeconfig and the peer kubeconfigs. Peers come first in flag
 * order, then the root shard; a server named twice is used once (first label wins). Throws when a
 * peer's server has a path (upstream refuses those too).
 */
export function discoveryEndpoints(root: KubeClientConfig, peers: readonly KubeClientConfig[]): DiscoveryEndpoints {
  const seen = new Set<string>()
  const shards: DiscoveryEndpoint[] = []
  const add = (label: string, config: KubeClientConfig): void => {
    if (seen.has(config.server.origin)) return
    seen.add(config.server.origin)
    shards.push({ label, config })
  }
  peers.forEach((p, i) => add(`peer-${i + 1}`, adminView(p, '--shard-peer-kubeconfig')))
  const rootBase = withoutClusterPath(root)
  // A root kubeconfig behind a path prefix has no Admin workspace we could address; it still serves identities.
  if (rootBase.server.pathname === '/') add('root', adminView(rootBase, '--root-kubeconfig'))
  return { shards, identities: [...shards, { label: 'root (direct)', config: rootBase }] }
}
