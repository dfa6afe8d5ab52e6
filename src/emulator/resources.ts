// The resources every emulated shard serves. Discovery, OpenAPI, routing and storage all read this table,
// so adding a resource is one entry here.
import type { IdentityHashGroup } from './types.js'

export interface ResourceDef {
  group: string
  version: string
  /** Plural, as in URLs. */
  resource: string
  kind: string
  singular: string
  namespaced: boolean
  shortNames: string[]
  verbs: string[]
  /** Subresources served (only `status`). */
  status: boolean
  /** Wildcard (`/clusters/*`) requests must carry `:<identityHash>` of this APIExport (kcp bound resources). */
  identity?: IdentityHashGroup
  /** Create-only review resources: answered, never stored. */
  review?: boolean
  /** Built-in registries answer DELETE with a Status Success; CRD-like ones with the object. */
  deleteReturnsStatus: boolean
  categories?: string[]
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

export const resources: readonly ResourceDef[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', singular: 'namespace', namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], status: true, deleteReturnsStatus: false },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', namespaced: true, shortNames: ['cm'], verbs: CRUD, status: false, deleteReturnsStatus: true },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', singular: 'secret', namespaced: true, shortNames: [], verbs: CRUD, status: false, deleteReturnsStatus: true },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'], verbs: CRUD, status: false, deleteReturnsStatus: true },
  { group: 'tenancy.kcp.io', version: 'v1alpha1', resource: 'workspaces', kind: 'Workspace', singular: 'workspace', namespaced: false, shortNames: ['ws'], verbs: CRUD, status: true, identity: 'tenancy.kcp.io', deleteReturnsStatus: false, categories: ['kcp'] },
  { group: 'tenancy.kcp.io', version: 'v1alpha1', resource: 'workspacetypes', kind: 'WorkspaceType', singular: 'workspacetype', namespaced: false, shortNames: [], verbs: CRUD, status: true, identity: 'tenancy.kcp.io', deleteReturnsStatus: false, categories: ['kcp'] },
  { group: 'tenancy.kcp.io', version: 'v1alpha1', resource: 'workspaceauthenticationconfigurations', kind: 'WorkspaceAuthenticationConfiguration', singular: 'workspaceauthenticationconfiguration', namespaced: false, shortNames: [], verbs: CRUD, status: false, identity: 'tenancy.kcp.io', deleteReturnsStatus: false, categories: ['kcp'] },
  { group: 'core.kcp.io', version: 'v1alpha1', resource: 'logicalclusters', kind: 'LogicalCluster', singular: 'logicalcluster', namespaced: false, shortNames: [], verbs: CRUD, status: true, deleteReturnsStatus: false, categories: ['kcp'] },
  { group: 'core.kcp.io', version: 'v1alpha1', resource: 'shards', kind: 'Shard', singular: 'shard', namespaced: false, shortNames: [], verbs: CRUD, status: true, identity: 'shards.core.kcp.io', deleteReturnsStatus: false, categories: ['kcp'] },
  { group: 'apis.kcp.io', version: 'v1alpha2', resource: 'apiexports', kind: 'APIExport', singular: 'apiexport', namespaced: false, shortNames: [], verbs: CRUD, status: true, deleteReturnsStatus: false, categories: ['kcp'] },
  { group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', singular: 'selfsubjectreview', namespaced: false, shortNames: [], verbs: ['create'], status: false, review: true, deleteReturnsStatus: true },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', singular: 'selfsubjectaccessreview', namespaced: false, shortNames: [], verbs: ['create'], status: false, review: true, deleteReturnsStatus: true },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', singular: 'subjectaccessreview', namespaced: false, shortNames: [], verbs: ['create'], status: false, review: true, deleteReturnsStatus: true },
]

export const groupVersion = (r: { group: string; version: string }): string => (r.group === '' ? r.version : `${r.group}/${r.version}`)

/** `group/resource` key used by the store. */
export const resourceKey = (r: { group: string; resource: string }): string => `${r.group}/${r.resource}`

const byGVR = new Map<string, ResourceDef>(resources.map((r) => [`${groupVersion(r)}/${r.resource}`, r]))

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return byGVR.get(`${group === '' ? version : `${group}/${version}`}/${resource}`)
}

export function resourceByKey(key: string): ResourceDef | undefined {
  return resources.find((r) => resourceKey(r) === key)
}

export const NAMESPACES = findResource('', 'v1', 'namespaces') as ResourceDef
export const CONFIGMAPS = findResource('', 'v1', 'configmaps') as ResourceDef
export const WORKSPACES = findResource('tenancy.kcp.io', 'v1alpha1', 'workspaces') as ResourceDef
export const WORKSPACETYPES = findResource('tenancy.kcp.io', 'v1alpha1', 'workspacetypes') as ResourceDef
export const AUTHCONFIGS = findResource('tenancy.kcp.io', 'v1alpha1', 'workspaceauthenticationconfigurations') as ResourceDef
export const LOGICALCLUSTERS = findResource('core.kcp.io', 'v1alpha1', 'logicalclusters') as ResourceDef
export const SHARDS = findResource('core.kcp.io', 'v1alpha1', 'shards') as ResourceDef
export const APIEXPORTS = findResource('apis.kcp.io', 'v1alpha2', 'apiexports') as ResourceDef

/** Groups in discovery order (core first), each with its versions in preference order. */
export function apiGroups(): { group: string; versions: string[] }[] {
  const out: { group: string; versions: string[] }[] = []
  for (const r of resources) {
    let g = out.find((x) => x.group === r.group)
    if (!g) out.push((g = { group: r.group, versions: [] }))
    if (!g.versions.includes(r.version)) g.versions.push(r.version)
  }
  return out
}
