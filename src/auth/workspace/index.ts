// Per-workspace authentication (kcp WorkspaceAuthentication): the contract the request pipeline
// calls (types.ts) and the function that builds it. See docs/auth.md#per-workspace-authentication.
export { createWorkspaceAuthentication, type WorkspaceAuthenticationDeps, type WorkspaceAuthenticationOptions } from './manager.js'
export type { WorkspaceAuthentication, WorkspaceAuthenticator } from './types.js'
export { CLUSTER_NAME_KEY, SCOPES_KEY } from './wrap.js'
