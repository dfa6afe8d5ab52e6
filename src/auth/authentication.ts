// Authentication at the edge: builds the authenticators from the completed (validated) options;
// edge.ts applies the optional-authentication rule (docs/upstream.md#optional-authentication) in the upstream union order (docs/upstream.md#global-authenticator).
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { CompletedAuthenticationOptions } from '../config/types.js'
import type { KubeClientConfig } from '../kube/kubeconfig.js'
import { BearerAuthenticator, type TokenAuthenticator } from './bearer.js'
import { CABundle } from './ca-bundle.js'
import { TokenCache } from './cache.js'
import { EdgeAuthentication, type Authentication, type Step } from './edge.js'
import { createDropFilter, createGroupFilter } from './groups.js'
import { JSONClient } from '../http/json-client.js'
import { authMetrics } from './metrics.js'
import { MetricsAuthorizer } from './metrics-authz.js'
import { OIDCAuthenticator, type KeySetTiming } from './oidc.js'
import { RequestHeaderAuthenticator } from './requestheader.js'
import { DEFAULT_SA_ISSUER, loadSAKeys, ServiceAccountAuthenticator } from './serviceaccount.js'
import { TokenFileAuthenticator } from './tokenfile.js'
import type { Authenticator } from './types.js'
import { X509Authenticator } from './x509.js'

export interface AuthenticationDeps {
  rootConfig?: KubeClientConfig
  logger: Logger
  registry: Registry
  /** Test hooks: CA bundle poll interval and OIDC key timing. */
  caPollMs?: number
  oidcTiming?: Partial<KeySetTiming>
}

/** Upstream AdditionalAuthEnabled, extended to our extra OIDC issuers. */
export function additionalAuthEnabled(o: CompletedAuthenticationOptions): boolean {
  return o.tokenAuthFile !== '' || o.serviceAccountKeyFiles.length > 0 || o.allOIDCIssuers.length > 0
}

/** `opts` must have passed validateOptions() (it refuses --authentication-config and the token webhook, for one). */
export async function createAuthentication(opts: CompletedAuthenticationOptions, deps: AuthenticationDeps): Promise<Authentication> {
  const { logger } = deps

  const closers: (() => unknown)[] = []
  const bundles: CABundle[] = []
  const metrics = authMetrics(deps.registry)
  const steps: Step[] = []
  const caOpts = { logger, ...(deps.caPollMs !== undefined ? { pollMs: deps.caPollMs } : {}) }
  const rootClient =
    deps.rootConfig !== undefined
      ? new JSONClient({
          ...(deps.rootConfig.ca !== undefined ? { ca: deps.rootConfig.ca } : {}),
          ...(deps.rootConfig.cert !== undefined ? { cert: deps.rootConfig.cert } : {}),
          ...(deps.rootConfig.key !== undefined ? { key: deps.rootConfig.key } : {}),
          ...(deps.rootConfig.token !== undefined ? { token: deps.rootConfig.token } : {}),
          insecureSkipTLSVerify: deps.rootConfig.insecureSkipTLSVerify,
          // Lookups and reviews run while a client waits: bounded in time and size.
          timeoutMs: 10_000,
          maxBodyBytes: 4 * 1024 * 1024,
          connections: 16,
          requireJSON: true,
        })
      : undefined
  if (rootClient !== undefined) closers.push(() => rootClient.close())

  try {
    // 1. requestheader: only with username headers and a CA, like upstream.
    if (opts.requestheaderUsernameHeaders.length > 0 && opts.requestheaderClientCAFile !== '') {
      const b = new CABundle(opts.requestheaderClientCAFile, caOpts)
      bundles.push(b)
      const rh = new RequestHeaderAuthenticator(b, {
        usernameHeaders: opts.requestheaderUsernameHeaders,
        uidHeaders: opts.requestheaderUIDHeaders,
        groupHeaders: opts.requestheaderGroupHeaders,
        extraHeaderPrefixes: opts.requestheaderExtraHeadersPrefix,
        allowedNames: opts.requestheaderAllowedNames,
      })
      steps.push({ ...userStep(rh), certOnly: true })
    }
    // 2. x509
    if (opts.clientCAFile !== '') {
      const b = new CABundle(opts.clientCAFile, caOpts)
      bundles.push(b)
      const x509 = new X509Authenticator(b)
      steps.push({
        ...userStep(x509),
        certOnly: true,
        peek: (req) => {
          const user = x509.peek(req)
          return user === undefined ? undefined : { user, method: x509.name }
        },
      })
    }
    // 3. bearer tokens: token file, service accounts, OIDC (k8s order).
    const tokens: TokenAuthenticator[] = []
    if (opts.tokenAuthFile !== '') tokens.push(new TokenFileAuthenticator(opts.tokenAuthFile, (msg) => logger.warn(msg)))
    if (opts.serviceAccountKeyFiles.length > 0) {
      const issuers = opts.serviceAccountIssuers.length > 0 ? opts.serviceAccountIssuers : [DEFAULT_SA_ISSUER]
      if (opts.serviceAccountLookup && (deps.rootConfig === undefined || rootClient === undefined)) {
        throw new Error('--service-account-lookup needs the root kubeconfig (--root-kubeconfig); or set --service-account-lookup=false')
      }
      tokens.push(
        new ServiceAccountAuthenticator({
          keys: loadSAKeys(opts.serviceAccountKeyFiles),
          issuers,
          audiences: opts.apiAudiences.length > 0 ? opts.apiAudiences : issuers,
          ...(opts.serviceAccountLookup && rootClient !== undefined && deps.rootConfig !== undefined ? { lookup: { client: rootClient, server: deps.rootConfig.server } } : {}),
        }),
      )
    }
    if (opts.allOIDCIssuers.length > 0) {
      const oidc = new OIDCAuthenticator(opts.allOIDCIssuers, logger, deps.oidcTiming)
      closers.push(() => oidc.close())
      oidc.warmUp()
      tokens.push(oidc)
    }
    if (tokens.length > 0) {
      const bearer = new BearerAuthenticator(tokens, new TokenCache({ stats: metrics.tokenCache }))
      steps.push({ name: 'bearer', run: (req) => bearer.authenticate(req), peek: (req) => bearer.peek(req) })
    }
  } catch (err) {
    for (const b of bundles) b.close()
    await Promise.all(closers.map((c) => c()))
    throw err
  }

  return new EdgeAuthentication({
    steps,
    additional: additionalAuthEnabled(opts),
    groupFilter: createGroupFilter(opts.authenticationPassOnGroups, opts.authenticationDropGroups),
    workspaceDrop: createDropFilter(opts.authenticationDropGroups),
    bundles,
    closers,
    metrics,
    logger,
    ...(rootClient !== undefined && deps.rootConfig !== undefined ? { authorizer: new MetricsAuthorizer({ client: rootClient, server: deps.rootConfig.server }) } : {}),
  })
}

function userStep(a: Authenticator): Step {
  return {
    name: a.name,
    run: async (req) => {
      const user = await a.authenticate(req)
      return user === null ? null : { user, method: a.name }
    },
  }
}
