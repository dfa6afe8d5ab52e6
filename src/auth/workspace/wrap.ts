// What kcp does to every per-workspace identity, in its order (docs/upstream.md#workspace-authentication, pkg/authentication):
// ForbidSystemUsernames → GroupFilter{drop "system:"} → ExtraFilter{drop keys containing "kcp.io"}
// → AuthenticatedGroupAdder → withClusterScope. A workspace token can therefore never carry a
// system identity, a kcp-internal extra, or a scope other than the logical cluster it was sent to.
import { createGroupFilter, withAuthenticatedGroup, type GroupFilter } from '../groups.js'
import { AuthError, type UserInfo } from '../types.js'

export const SCOPES_KEY = 'authentication.kcp.io/scopes'
export const CLUSTER_NAME_KEY = 'authentication.kcp.io/cluster-name'

const dropSystemGroups = createGroupFilter([], ['system:*']) as GroupFilter

/** Everything up to the adder: independent of the logical cluster, so it is done once per verified token. */
export function workspaceUser(u: UserInfo): UserInfo {
  if (u.name.startsWith('system:')) throw new AuthError('system usernames are not admitted')
  const extra: Record<string, string[]> = {}
  for (const [k, v] of Object.entries(u.extra)) if (!k.includes('kcp.io')) extra[k] = v
  return withAuthenticatedGroup({ ...u, groups: dropSystemGroups(u.groups), extra })
}

/** upstream withClusterScope: the scope is appended to whatever scopes survived (none: they contain kcp.io). */
export function withClusterScope(u: UserInfo, logicalCluster: string): UserInfo {
  return {
    ...u,
    extra: { ...u.extra, [SCOPES_KEY]: [...(u.extra[SCOPES_KEY] ?? []), `cluster:${logicalCluster}`], [CLUSTER_NAME_KEY]: [logicalCluster] },
  }
}
