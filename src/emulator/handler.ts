// The request pipeline of one emulated shard, in the order the apiserver runs it:
// health/version (anonymous) → authentication (401) → cluster resolution → impersonation (400/403) →
// workspace access (403) → routing (discovery, OpenAPI, resources; plain 404 otherwise) →
// authorization (403) → the verb.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { authorize, isMaster, type Identity } from './auth.js'
import { handleAdminView, isAdminViewPath } from './admin-view.js'
import type { ShardContext } from './context.js'
import { aggregatedDiscovery, aggregatedVariant, apiResourceList, legacyAPIGroup, legacyAPIGroupList, legacyAPIVersions, openAPIv3GroupVersion, openAPIv3Root, VERSION_INFO } from './discovery.js'
import type { DistinctHeaders } from './headers.js'
import { impersonate } from './impersonation.js'
import { handleResource } from './resource-handler.js'
import { sendJSON, sendPlain404, sendStatus, sendText } from './respond.js'
import { parseAPIPath, type Route } from './routes.js'
import { SelectorError } from './selectors.js'
import { badRequest, forbiddenPath, internalError, StatusError, unauthorized } from './status.js'

const HEALTH = /^\/(healthz|livez|readyz)(\/[a-z-]+)?$/

export interface Request {
  ctx: ShardContext
  req: IncomingMessage
  res: ServerResponse
  user: Identity
  /** LC name, or '*' for wildcard requests. */
  cluster: string
  /** `/clusters/<segment>` as requested, '' for unprefixed paths. */
  prefix: string
  /** Path below the prefix. */
  path: string
  query: URLSearchParams
  clusterKnown: boolean
}

export async function handle(ctx: ShardContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    await dispatch(ctx, req, res)
  } catch (e) {
    if (res.headersSent) {
      res.destroy()
      return
    }
    if (e instanceof StatusError) sendStatus(res, e.status)
    else if (e instanceof SelectorError) sendStatus(res, badRequest(e.message).status)
    else {
      ctx.logger.error({ err: e, method: req.method, path: (req.url ?? '').split('?')[0] }, 'emulator: internal error')
      sendStatus(res, internalError((e as Error).message).status)
    }
  }
}

async function dispatch(ctx: ShardContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const rawPath = q < 0 ? url : url.slice(0, q)
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1))

  if (HEALTH.test(rawPath)) return sendText(res, 200, 'ok')
  if (rawPath === '/version') return sendJSON(res, 200, JSON.stringify(VERSION_INFO))

  const auth = ctx.auth.authenticate(req)
  if (auth.kind !== 'user') throw unauthorized()
  // kcp's Admin workspace: the same read-only view on every shard (admin-view.ts).
  if (isAdminViewPath(rawPath)) return handleAdminView(ctx, req, res, auth.user, rawPath, query)

  // Unprefixed API paths are served from `root`, as kcp shards do.
  let cluster = 'root'
  let prefix = ''
  let path = rawPath
  const m = /^\/clusters\/([^/]+)(\/.*)?$/.exec(rawPath)
  if (m) {
    let seg: string
    try {
      seg = decodeURIComponent(m[1])
    } catch {
      return sendPlain404(res)
    }
    prefix = `/clusters/${m[1]}`
    path = m[2] ?? '/'
    cluster = seg === '*' ? '*' : ctx.directory.resolveSegment(ctx.name, seg)
  } else if (rawPath.startsWith('/clusters')) return sendPlain404(res)

  if (path === '/version') return sendJSON(res, 200, JSON.stringify(VERSION_INFO))

  // Authorization and the self reviews see the impersonated user, as on a real shard.
  const user = impersonate(auth.user, req.headersDistinct as DistinctHeaders, cluster)
  const r: Request = { ctx, req, res, user, cluster, prefix, path, query, clusterKnown: cluster === '*' || ctx.directory.clusterExists(ctx.name, cluster) }
  checkWorkspaceAccess(r)
  return route(r, parseAPIPath(path))
}

/** kcp's workspace authorizer, approximated: unknown clusters are closed to everyone but system:masters. */
function checkWorkspaceAccess(r: Request): void {
  if (r.clusterKnown) return
  const write = r.req.method !== 'GET' && r.req.method !== 'HEAD'
  // Only a plain logical-cluster name can be auto-created; an unresolved workspace path never is.
  const creatable = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(r.cluster)
  if (isMaster(r.user) && !r.ctx.directory.strictClusters && (creatable || !write)) {
    if (write) {
      r.ctx.directory.ensureCluster(r.ctx.name, r.cluster)
      r.clusterKnown = true
    }
    return
  }
  throw forbiddenPath(r.user.username, (r.req.method ?? 'get').toLowerCase(), r.path, 'workspace access not permitted')
}

function route(r: Request, rt: Route): Promise<void> | void {
  const { res, path } = r
  if (rt.kind === 'resource') return handleResource(r, rt.route)
  if (r.req.method !== 'GET') return sendPlain404(res)
  if (!authorize(r.user, { nonResource: { path, verb: 'get' } })) throw forbiddenPath(r.user.username, 'get', path)
  const accept = r.req.headers.accept
  if (path === '/api' || path === '/apis') {
    const agg = aggregatedVariant(accept)
    if (agg !== undefined) return sendJSON(res, 200, aggregatedDiscovery(path === '/api', agg), agg)
    return sendJSON(res, 200, path === '/api' ? legacyAPIVersions(r.ctx.serverAddress) : legacyAPIGroupList())
  }
  if (rt.kind === 'group-version') {
    const body = apiResourceList(rt.group, rt.version)
    return body === undefined ? sendPlain404(res) : sendJSON(res, 200, body)
  }
  if (rt.kind === 'group') {
    const body = legacyAPIGroup(rt.group)
    return body === undefined ? sendPlain404(res) : sendJSON(res, 200, body)
  }
  if (path === '/openapi/v3' || path === '/openapi/v3/') return sendJSON(res, 200, openAPIv3Root(r.prefix))
  const oa = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path)
  if (oa) {
    const body = oa[1] !== undefined ? openAPIv3GroupVersion('', oa[1]) : openAPIv3GroupVersion(oa[2], oa[3])
    return body === undefined ? sendPlain404(res) : sendJSON(res, 200, body)
  }
  return sendPlain404(res)
}
