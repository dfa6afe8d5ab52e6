// What the index keeps of each Workspace and LogicalCluster: the reflectors store the trimmed object
// (client-go's transform), so a replica watching 100k workspaces does not hold 100k managedFields,
// conditions and status blocks it never reads. Pure functions.
import type { AuthConfigObject, WorkspaceTypeObject } from '../index/auth-configs.js'
import { ClusterAnnotation, PathAnnotation, WorkspaceTypeAnnotation, type LogicalClusterObject, type ObjectMeta, type WorkspaceObject } from '../index/types.js'

const KEPT_ANNOTATIONS = [ClusterAnnotation, WorkspaceTypeAnnotation, PathAnnotation] as const

/** name, resourceVersion, the timestamps (propagation-lag metrics) and the annotations the index reads. */
export function trimMeta(m: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = { name: m.name }
  if (m.resourceVersion !== undefined) out.resourceVersion = m.resourceVersion
  if (m.creationTimestamp !== undefined) out.creationTimestamp = m.creationTimestamp
  if (m.deletionTimestamp !== undefined) out.deletionTimestamp = m.deletionTimestamp
  const a = m.annotations
  if (a !== undefined && a !== null) {
    let kept: Record<string, string> | undefined
    for (const k of KEPT_ANNOTATIONS) if (typeof a[k] === 'string') (kept ??= {})[k] = a[k]
    if (kept !== undefined) out.annotations = kept
  }
  return out
}

export function trimWorkspace(ws: WorkspaceObject): WorkspaceObject {
  const out: WorkspaceObject = { metadata: trimMeta(ws.metadata) }
  const s = ws.spec
  if (s !== undefined && s !== null) {
    const spec: NonNullable<WorkspaceObject['spec']> = {}
    if (s.cluster !== undefined) spec.cluster = s.cluster
    if (s.URL !== undefined) spec.URL = s.URL
    if (s.type !== undefined) spec.type = s.type
    if (s.mount !== undefined) spec.mount = s.mount
    out.spec = spec
  }
  if (ws.status?.phase !== undefined) out.status = { phase: ws.status.phase }
  return out
}

export function trimLogicalCluster(lc: LogicalClusterObject): LogicalClusterObject {
  const out: LogicalClusterObject = { metadata: trimMeta(lc.metadata) }
  const st = lc.status
  if (st !== undefined && st !== null) {
    const status: NonNullable<LogicalClusterObject['status']> = {}
    if (st.phase !== undefined) status.phase = st.phase
    if (st.URL !== undefined) status.URL = st.URL
    out.status = status
  }
  return out
}

/** A WorkspaceType is kept only for the WACs it names (its many other fields are presets for new workspaces). */
export function trimWorkspaceType(wst: WorkspaceTypeObject): WorkspaceTypeObject {
  const out: WorkspaceTypeObject = { metadata: trimMeta(wst.metadata) }
  const refs = wst.spec?.authenticationConfigurations
  if (refs !== undefined && refs !== null) out.spec = { authenticationConfigurations: refs }
  return out
}

/** A WAC's spec is what the authenticators are built from: kept whole. */
export function trimAuthConfig(wac: AuthConfigObject): AuthConfigObject {
  const out: AuthConfigObject = { metadata: trimMeta(wac.metadata) }
  if (wac.spec !== undefined && wac.spec !== null) out.spec = wac.spec
  return out
}
