// The routing index: pure data, no I/O. See docs/index.md.
export { WorkspaceIndex, type IndexSizes, type WorkspaceIndexOptions } from './state.js'
export { isValidClusterPath, CLUSTER_PATH_PATTERN } from './path.js'
export { base36BytesPad, homeClusterName, cachedHomeClusterName, rewriteUserPath } from './home.js'
export * from './types.js'
export { AuthConfigIndex, authConfigRefKey, workspaceTypeKey, type AuthConfigChange, type AuthConfigLookup, type AuthConfigObject, type AuthConfigRef, type WorkspaceTypeObject } from './auth-configs.js'
export { explainMiss, RecentDeletions, RECENT_DELETIONS } from './explain.js'
export { applyIndexOp, stateOps, type IndexOp, type IndexWriter } from './replay.js'
