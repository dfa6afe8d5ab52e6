// Where clients reach workspaces: real kcp shards run with --shard-external-url set to the front-proxy's
// URL, so Shard spec.externalURL, Workspace spec.URL and LogicalCluster status.URL all name the proxy. A
// harness knows the proxy's URL only after the topology is up (the proxy needs the topology's files), so
// the URL can be set later; the objects then read as if the topology had been started with it.
import type { Kcp } from './kcp.js'
import { LOGICALCLUSTERS, resourceKey, WORKSPACES } from './resources.js'

type Obj = Record<string, unknown>

/** Republishes every Shard and rewrites every URL that names the old external URL (MODIFIED events). */
export function rewriteExternalURLs(kcp: Kcp): void {
  for (const s of kcp.shards.values()) kcp.publishShard(s)
  for (const s of kcp.shards.values()) {
    for (const ws of s.store.snapshot(resourceKey(WORKSPACES), '*', undefined, s.store.rv)) {
      const spec = (ws.obj.spec ?? {}) as Obj
      // Mount workspaces point at their mount, not at a shard.
      if ((spec.mount !== undefined && spec.mount !== null) || typeof spec.cluster !== 'string' || spec.cluster === '') continue
      const target = kcp.shardOf(spec.cluster)
      if (!target) continue
      const URL = `${kcp.externalURL(target)}/clusters/${kcp.pathOf(target, spec.cluster)}`
      if (spec.URL !== URL) s.core.update(WORKSPACES, ws.cluster, '', ws.name, { ...ws.obj, spec: { ...spec, URL } }, { fieldManager: 'kcp' })
    }
    for (const lc of s.store.snapshot(resourceKey(LOGICALCLUSTERS), '*', undefined, s.store.rv)) {
      const status = (lc.obj.status ?? {}) as Obj
      const URL = `${kcp.externalURL(s)}/clusters/${kcp.pathOf(s, lc.cluster)}`
      if (status.URL !== URL) s.core.update(LOGICALCLUSTERS, lc.cluster, '', lc.name, { ...lc.obj, status: { ...status, URL } }, { fieldManager: 'kcp', subresource: 'status' })
    }
  }
}
