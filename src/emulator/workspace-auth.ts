// WorkspaceTypes and WorkspaceAuthenticationConfigurations (kcp WorkspaceAuthentication), written the
// way the API writes them (same objects and watch events), for harnesses that set up per-workspace
// authentication without building requests.
import type { Kcp } from './kcp.js'
import { AUTHCONFIGS, resourceKey, WORKSPACETYPES, type ResourceDef } from './resources.js'
import type { Shard } from './shard.js'

function at(kcp: Kcp, path: string): { shard: Shard; cluster: string } {
  const r = kcp.resolvePath(path)
  if (!r) throw new Error(`workspace ${JSON.stringify(path)} does not resolve`)
  return { shard: kcp.shards.get(r.shard) as Shard, cluster: r.cluster }
}

/** Creates or replaces an object of `def` named `name` in the logical cluster at `path`. */
function put(kcp: Kcp, def: ResourceDef, path: string, name: string, spec: object): void {
  const { shard, cluster } = at(kcp, path)
  const obj = { metadata: { name }, spec }
  if (shard.store.get(resourceKey(def), cluster, '', name)) shard.core.update(def, cluster, '', name, obj, { fieldManager: 'kcp-emulator' })
  else shard.core.create(def, cluster, '', obj, { fieldManager: 'kcp-emulator' })
}

/** A WorkspaceType in the cluster at `path` listing WACs (by name, in that cluster) in `authenticationConfigurations`. */
export function putWorkspaceType(kcp: Kcp, path: string, name: string, authConfigs: readonly string[]): void {
  put(kcp, WORKSPACETYPES, path, name, { authenticationConfigurations: authConfigs.map((n) => ({ name: n })) })
}

/** A WorkspaceAuthenticationConfiguration in the cluster at `path`; `spec` is `{ jwt: [...] }` as in kcp. */
export function putAuthConfig(kcp: Kcp, path: string, name: string, spec: object): void {
  put(kcp, AUTHCONFIGS, path, name, spec)
}

export function deleteObject(kcp: Kcp, kind: 'workspacetypes' | 'workspaceauthenticationconfigurations', path: string, name: string): void {
  const { shard, cluster } = at(kcp, path)
  shard.core.delete(kind === 'workspacetypes' ? WORKSPACETYPES : AUTHCONFIGS, cluster, '', name)
}
