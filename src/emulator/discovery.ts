// Discovery documents (aggregated v2 and legacy), /version and the minimal OpenAPI v3 that kubectl's
// `apply`/`create -f` need for --validate=strict (docs/upstream.md#kube-api). Built once from the resource table.
import { createHash } from 'node:crypto'
import { apiGroups, groupVersion, resources, type ResourceDef } from './resources.js'

export const AGGREGATED_CT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'
const AGGREGATED_V2BETA1_CT = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4+kcp-emulator',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: 'linux/amd64',
}

/** Which aggregated variant the Accept header asks for (first acceptable wins), or undefined for legacy. */
export function aggregatedVariant(accept: string | undefined): string | undefined {
  if (accept === undefined) return undefined
  for (const part of accept.split(',')) {
    const p = part.replace(/\s+/g, '')
    if (!p.includes('as=APIGroupDiscoveryList') || !p.includes('g=apidiscovery.k8s.io')) continue
    if (p.includes('v=v2beta1')) return AGGREGATED_V2BETA1_CT
    if (p.includes('v=v2')) return AGGREGATED_CT
  }
  return undefined
}

function aggResource(r: ResourceDef): Record<string, unknown> {
  const o: Record<string, unknown> = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  }
  if (r.shortNames.length > 0) o.shortNames = r.shortNames
  if (r.categories) o.categories = r.categories
  if (r.status) o.subresources = [{ subresource: 'status', responseKind: { group: r.group, version: r.version, kind: r.kind }, verbs: ['get', 'patch', 'update'] }]
  return o
}

function aggregatedGroup(group: string, versions: string[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = group === '' ? { creationTimestamp: null } : { name: group, creationTimestamp: null }
  return {
    metadata,
    versions: versions.map((v) => ({ version: v, resources: resources.filter((r) => r.group === group && r.version === v).map(aggResource), freshness: 'Current' })),
  }
}

export function aggregatedDiscovery(core: boolean, contentType: string): string {
  const groups = apiGroups().filter((g) => (g.group === '') === core)
  const apiVersion = contentType.includes('v2beta1') ? 'apidiscovery.k8s.io/v2beta1' : 'apidiscovery.k8s.io/v2'
  return JSON.stringify({ kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items: groups.map((g) => aggregatedGroup(g.group, g.versions)) })
}

export function legacyAPIVersions(serverAddress: string): string {
  return JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] })
}

function apiGroup(group: string, versions: string[]): Record<string, unknown> {
  const gvs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }))
  return { name: group, versions: gvs, preferredVersion: gvs[0] }
}

export function legacyAPIGroupList(): string {
  return JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups().filter((g) => g.group !== '').map((g) => apiGroup(g.group, g.versions)) })
}

export function legacyAPIGroup(group: string): string | undefined {
  const g = apiGroups().find((x) => x.group === group && group !== '')
  return g ? JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g.group, g.versions) }) : undefined
}

export function apiResourceList(group: string, version: string): string | undefined {
  const rs = resources.filter((r) => r.group === group && r.version === version)
  if (rs.length === 0) return undefined
  const list: Record<string, unknown>[] = []
  for (const r of rs) {
    const e: Record<string, unknown> = { name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs }
    if (r.shortNames.length > 0) e.shortNames = r.shortNames
    if (r.categories) e.categories = r.categories
    list.push(e)
    if (r.status) list.push({ name: `${r.resource}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] })
  }
  return JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources: list })
}

/** OpenAPI v3 per-GV doc: one `patch` per resource with its GVK and `fieldValidation`, no schemas. */
export function openAPIv3GroupVersion(group: string, version: string): string | undefined {
  const rs = resources.filter((r) => r.group === group && r.version === version && !r.review)
  if (rs.length === 0 && !resources.some((r) => r.group === group && r.version === version)) return undefined
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`
  const paths: Record<string, unknown> = {}
  for (const r of rs) {
    const gvk = { group: r.group, version: r.version, kind: r.kind }
    const params = [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }, { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } }]
    const op = (verb: string): Record<string, unknown> => ({ operationId: `${verb}${r.kind}`, 'x-kubernetes-action': verb, 'x-kubernetes-group-version-kind': gvk, parameters: params, responses: { '200': { description: 'OK' } } })
    const itemPath = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.resource}/{name}` : `${prefix}/${r.resource}/{name}`
    const collPath = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.resource}` : `${prefix}/${r.resource}`
    paths[collPath] = { post: op('post') }
    paths[itemPath] = { put: op('put'), patch: op('patch') }
  }
  return JSON.stringify({ openapi: '3.0.0', info: { title: 'Kubernetes (kcp emulator)', version: VERSION_INFO.gitVersion }, paths, components: { schemas: {} } })
}

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`
}

/** OpenAPI v3 root: one entry per GV, with a content hash as the apiserver gives it. */
export function openAPIv3Root(prefix: string): string {
  const paths: Record<string, unknown> = {}
  for (const g of apiGroups()) {
    for (const v of g.versions) {
      const doc = openAPIv3GroupVersion(g.group, v) ?? ''
      const hash = createHash('sha512').update(doc).digest('hex').slice(0, 128).toUpperCase()
      const p = gvPath(g.group, v)
      paths[p] = { serverRelativeURL: `${prefix}/openapi/v3/${p}?hash=${hash}` }
    }
  }
  return JSON.stringify({ paths })
}
