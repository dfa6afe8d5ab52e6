// The contract between per-workspace authentication (kcp WorkspaceAuthentication, docs/upstream.md#workspace-authentication) and
// the request pipeline. The pipeline resolves the target's logical cluster and workspace type
// (LookupResult.cluster and .type), asks authenticatorFor(), and passes the answer to
// Authentication.authenticate(req, { workspaceAuthenticator }) (and authenticateCached), which
// unions it after the global authenticators and forces authentication (docs/upstream.md#optional-authentication).
import type { ReadinessCheck } from '../../controller/types.js'
import type { AuthRequest, Authenticator, UserInfo } from '../types.js'

/** A per-workspace authenticator for one logical cluster. */
export interface WorkspaceAuthenticator extends Authenticator {
  /**
   * The identity for the request's bearer token when a verification within the cache TTL already
   * decided it, synchronously; undefined = call authenticate(). Failures are never cached.
   */
  peek(req: AuthRequest): UserInfo | undefined
}

export interface WorkspaceAuthentication {
  /**
   * The authenticator for requests to `logicalCluster`, whose LogicalCluster names
   * `workspaceType` (`internal.tenancy.kcp.io/type`, e.g. `root:org:with-oidc`). undefined when the
   * type is '' (mounts), unknown, lists no WAC, or none of its WACs is built: then no workspace
   * authentication applies, exactly as upstream. Synchronous and cheap (two map reads when nothing
   * changed): call it per request.
   */
  authenticatorFor(workspaceType: string, logicalCluster: string): WorkspaceAuthenticator | undefined
  /** One check per WAC, `workspace-auth:<shard>:<cluster>:<name>` (the names have no `/`, so /readyz/<check> addresses them), never blocking; for /readyz?verbose. */
  readiness(): ReadinessCheck[]
  /** Resolves when every WAC known now has finished its first key fetch (loaded or failed). */
  settled(): Promise<void>
  close(): Promise<void>
}
