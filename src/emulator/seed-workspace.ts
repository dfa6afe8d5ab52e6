// Bulk seeding of one workspace: written straight into the state kcp's scheduler leaves it in, without
// the Scheduling and Initializing steps (and their writes and watch events), so 100,000 workspaces seed
// in seconds.
import { workspaceConditions } from './conditions.js'
import { randomClusterName, SHARD_ANNOTATION, type Kcp } from './kcp.js'
import { WORKSPACES } from './resources.js'
import type { Shard } from './shard.js'

/**
 * The Workspace with its cluster, URL, shard annotation and Ready conditions; its LogicalCluster on
 * `target`, Ready; the `default` namespace. Returns the logical cluster's name.
 */
export function seedWorkspace(kcp: Kcp, parent: Shard, parentCluster: string, name: string, target: Shard, type: { name: string; path: string }): string {
  const path = `${kcp.pathOf(parent, parentCluster)}:${name}`
  const cluster = randomClusterName()
  const ws = parent.core.create(WORKSPACES, parentCluster, '', {
    metadata: { name, annotations: { [SHARD_ANNOTATION]: target.name } },
    spec: { type, cluster, URL: `${kcp.externalURL(target)}/clusters/${path}` },
    status: { phase: 'Ready', conditions: workspaceConditions([], 'Ready'), initializers: [], terminators: [] },
  }, { fieldManager: 'kcp', seeded: true })
  kcp.createLogicalCluster(target, cluster, {
    path, type: `${type.path}:${type.name}`, phase: 'Ready',
    owner: { apiVersion: 'tenancy.kcp.io/v1alpha1', resource: 'workspaces', name, cluster: parentCluster, uid: ws.obj.metadata.uid },
  })
  return cluster
}
