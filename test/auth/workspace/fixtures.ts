// Per-workspace authentication fixtures: WAC specs for loopback issuers, an auth-config index fed
// directly (as the controller feeds it), and the real global Authentication to union with.
import { Registry } from 'prom-client'
import { createAuthentication, type Authentication } from '../../../src/auth/index.js'
import { createWorkspaceAuthentication, type WorkspaceAuthentication } from '../../../src/auth/workspace/index.js'
import type { AuthRequest } from '../../../src/auth/types.js'
import type { AuthenticationOptions } from '../../../src/config/types.js'
import { AuthConfigIndex } from '../../../src/index/index.js'
import { baseOptions, LogCapture, type TestIssuer } from '../fixtures.js'

type T = { teardown(fn: () => unknown): void }

/** A `spec.jwt` entry as kcp's e2e test builds it (mockJWTAuthenticator): email and groups, both prefixed. */
export function jwtFor(iss: TestIssuer, over: Record<string, unknown> = {}, prefix = 'oidc:'): Record<string, unknown> {
  return {
    issuer: { url: iss.url, certificateAuthority: iss.ca.cert, audiences: ['kcp'], audienceMatchPolicy: 'MatchAny' },
    claimMappings: { username: { claim: 'email', prefix }, groups: { claim: 'groups', prefix } },
    ...over,
  }
}

export const bearer = (token: string): AuthRequest => ({ headers: { authorization: `Bearer ${token}` }, peerCertificates: [] })

export interface Setup {
  index: AuthConfigIndex
  registry: Registry
  log: LogCapture
  workspace: WorkspaceAuthentication
  auth: Authentication
  /** Puts WAC `name` into logical cluster `cluster` (path `path`) on shard `shard`. */
  putWAC(name: string, jwt: Record<string, unknown>[], o?: { cluster?: string; shard?: string }): void
  /** Puts WorkspaceType `name` listing `wacs`; its key is `<path>:<name>`. */
  putType(name: string, wacs: string[], o?: { cluster?: string; path?: string; shard?: string }): string
}

/** Defaults: shard `s1`, WACs and types in logical cluster `orglc` whose path is `root:org`. */
export async function setup(t: T, o: { authOptions?: Partial<AuthenticationOptions>; apiAudiences?: string[] } = {}): Promise<Setup> {
  const index = new AuthConfigIndex()
  const registry = new Registry()
  const log = new LogCapture()
  const workspace = createWorkspaceAuthentication({ apiAudiences: o.apiAudiences ?? [] }, { index, logger: log.logger, registry, timing: { cooldownMs: 0 } })
  t.teardown(() => workspace.close())
  const auth = await createAuthentication(baseOptions(o.authOptions), { logger: log.logger, registry, oidcTiming: { cooldownMs: 0 } })
  t.teardown(() => auth.close())
  return {
    index,
    registry,
    log,
    workspace,
    auth,
    putWAC: (name, jwt, p = {}) => index.upsertAuthConfig(p.shard ?? 's1', { metadata: { name, annotations: { 'kcp.io/cluster': p.cluster ?? 'orglc' } }, spec: { jwt } }),
    putType: (name, wacs, p = {}) => {
      const path = p.path ?? 'root:org'
      index.upsertWorkspaceType(p.shard ?? 's1', { metadata: { name, annotations: { 'kcp.io/cluster': p.cluster ?? 'orglc', 'kcp.io/path': path } }, spec: { authenticationConfigurations: wacs.map((n) => ({ name: n })) } })
      return `${path}:${name}`
    },
  }
}

/** authenticate() through the global Authentication with the workspace authenticator of (type, cluster). */
export async function decide(s: Setup, type: string, cluster: string, req: AuthRequest) {
  const wa = s.workspace.authenticatorFor(type, cluster)
  return s.auth.authenticate(req, wa === undefined ? {} : { workspaceAuthenticator: wa })
}
