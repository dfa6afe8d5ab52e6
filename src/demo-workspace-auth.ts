// The demo's per-workspace authentication (kcp WorkspaceAuthentication): a partner IdP (a loopback
// OIDC issuer) trusted only by workspaces of type root:org:partner, one such workspace, a token of
// that IdP and a kubeconfig using it. Global authentication does not know this issuer: the token
// works in root:org:partner-space and nowhere else.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { startIssuer, type EmulatedIssuer } from './emulator/issuer.js'
import type { Topology } from './emulator/index.js'

export const PARTNER_TYPE = 'root:org:partner'
export const PARTNER_WORKSPACE = 'root:org:partner-space'

export interface WorkspaceAuthDemo {
  readonly issuer: EmulatedIssuer
  /** The partner user's token file (an hour long). */
  readonly tokenFile: string
  /** Writes the kubeconfig for the partner user against the proxy at `base`; returns its path. */
  writeKubeconfig(base: string, caFile: string): Promise<string>
  /** Lines for the demo's instructions, once writeKubeconfig() ran. */
  instructions(): string[]
  close(): Promise<void>
}

export async function startWorkspaceAuthDemo(topology: Topology, dir: string): Promise<WorkspaceAuthDemo> {
  const issuer = await startIssuer({ name: 'partner-idp' })
  try {
    await topology.putAuthConfig('root:org', 'partner-idp', {
      jwt: [{
        issuer: { url: issuer.url, certificateAuthority: issuer.ca, audiences: ['kcp-demo'] },
        claimMappings: { username: { claim: 'email', prefix: 'partner:' }, groups: { claim: 'groups', prefix: 'partner:' } },
      }],
    })
    await topology.putWorkspaceType('root:org', 'partner', { authenticationConfigurations: ['partner-idp'] })
    await topology.createWorkspace('root:org', 'partner-space', { type: PARTNER_TYPE, shard: 'beta' })
    const tokenFile = join(dir, 'partner.token')
    await writeFile(tokenFile, await issuer.token({ email: 'alice@partner.example', groups: ['engineers'] }, { audience: 'kcp-demo', ttlSeconds: 3600 }), { mode: 0o600 })
    let kubeconfig = ''
    return {
      issuer,
      tokenFile,
      writeKubeconfig: async (base, caFile) => {
        kubeconfig = join(dir, 'partner.kubeconfig')
        await writeFile(kubeconfig, stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'partner-space', cluster: { server: `${base}/clusters/${PARTNER_WORKSPACE}`, 'certificate-authority': caFile } }],
          users: [{ name: 'alice', user: { token: await readFile(tokenFile, 'utf8') } }],
          contexts: [{ name: 'partner', context: { cluster: 'partner-space', user: 'alice' } }],
          'current-context': 'partner',
        }), { mode: 0o600 })
        return kubeconfig
      },
      instructions: () => [
        `Per-workspace authentication: ${PARTNER_WORKSPACE} (type ${PARTNER_TYPE}) also trusts the partner IdP at ${issuer.url},`,
        'which nothing else trusts. Its user alice@partner.example (groups: engineers):',
        `  kubectl --kubeconfig ${kubeconfig} auth whoami      # partner:alice@partner.example, scoped to this workspace`,
      ],
      close: () => issuer.close(),
    }
  } catch (e) {
    await issuer.close()
    throw e
  }
}
