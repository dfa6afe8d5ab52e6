// kcp's Admin workspace (`/services/admin`, kcp PRs #4365/#4373): a read-only view every shard
// serves of installation-wide objects, so clients can discover shards without the root shard.
// Upstream reads it from the cache server, one resourceVersion space on every shard; here the
// root shard's store plays the cache (it stays in memory while the root shard's server is stopped),
// so a watch broken on one shard resumes on another from the same resourceVersion.
//
// Paths (upstream's digestURL): `/services/admin/apis/...` and `/services/admin/clusters/<any>/apis/...`
// (the cluster segment is accepted and ignored). Resources: Shards (upstream's one resource) and the
// APIExports of `root`, whose identity hashes the front-proxy needs (an emulator extension: real kcp
// serves identities from the root shard only). Access needs the system:kcp:admin group (upstream's
// authorizer; system:masters alone is not enough). Verbs: get, list, watch.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { KCP_ADMIN, type Identity } from './auth.js'
import type { ShardContext } from './context.js'
import { list, listJSON } from './list.js'
import { APIEXPORTS, groupVersion, resourceKey, SHARDS, type ResourceDef } from './resources.js'
import { sendJSON, sendPlain404 } from './respond.js'
import { parseAPIPath, splitSegments } from './routes.js'
import { parseFieldSelector, parseLabelSelector } from './selectors.js'
import { badRequest, forbiddenPath, methodNotAllowed, notFound } from './status.js'
import { serveWatch, validateWatch } from './watch.js'

export const ADMIN_VIEW_PREFIX = '/services/admin'

/** Where the view's objects live in the cache: the `root` logical cluster. */
const VIEW_CLUSTER = 'root'
const VIEW_RESOURCES: readonly ResourceDef[] = [SHARDS, APIEXPORTS]

export function isAdminViewPath(rawPath: string): boolean {
  return rawPath === ADMIN_VIEW_PREFIX || rawPath.startsWith(`${ADMIN_VIEW_PREFIX}/`)
}

/** The API path below the view's prefix with an optional `/clusters/<segment>` removed; undefined = not servable. */
export function adminViewAPIPath(rawPath: string): string | undefined {
  const rest = rawPath.slice(ADMIN_VIEW_PREFIX.length)
  const m = /^\/clusters\/([^/]+)(\/.*)?$/.exec(rest)
  if (!m) return rest.startsWith('/clusters') ? undefined : rest
  const seg = splitSegments(m[1])
  return seg === undefined ? undefined : (m[2] ?? '/')
}

const isTrue = (v: string | null): boolean => v === 'true' || v === '1'
const optional = (v: string | null): string | undefined => (v === null ? undefined : v)

export function handleAdminView(ctx: ShardContext, req: IncomingMessage, res: ServerResponse, user: Identity, rawPath: string, query: URLSearchParams): void {
  const method = req.method ?? 'GET'
  const verb = method !== 'GET' && method !== 'HEAD' ? '' : isTrue(query.get('watch')) ? 'watch' : 'get'
  if (!user.groups.includes(KCP_ADMIN)) {
    throw forbiddenPath(user.username, verb || method.toLowerCase(), rawPath, `access to the admin workspace requires membership in the ${KCP_ADMIN} group`)
  }
  const path = adminViewAPIPath(rawPath)
  const route = path === undefined ? undefined : parseAPIPath(path)
  if (route?.kind !== 'resource' || !VIEW_RESOURCES.includes(route.route.def) || route.route.identity !== undefined || route.route.subresource !== undefined) {
    return sendPlain404(res)
  }
  if (verb === '') throw methodNotAllowed()
  const { def, name, watchPath } = route.route
  const store = ctx.directory.adminViewStore()
  const key = resourceKey(def)
  const labels = parseLabelSelector(query.get('labelSelector') ?? undefined)
  const baseFields = parseFieldSelector(query.get('fieldSelector') ?? undefined)
  if (verb === 'watch' || watchPath) {
    const fields = name !== undefined ? [...baseFields, { field: 'metadata.name' as const, op: 'eq' as const, value: name }] : baseFields
    const ts = query.get('timeoutSeconds')
    const q = {
      res: key, cluster: VIEW_CLUSTER, kind: def.kind, apiVersion: groupVersion(def),
      resourceVersion: optional(query.get('resourceVersion')), resourceVersionMatch: optional(query.get('resourceVersionMatch')),
      sendInitialEvents: optional(query.get('sendInitialEvents')), allowWatchBookmarks: isTrue(query.get('allowWatchBookmarks')),
      timeoutSeconds: ts === null || ts === '' ? undefined : Number(ts), labels, fields,
    }
    if (q.timeoutSeconds !== undefined && !(q.timeoutSeconds >= 0)) throw badRequest(`invalid timeoutSeconds: ${JSON.stringify(ts)}`)
    validateWatch(q, store.rv)
    // The watch is registered with the serving shard: stopping that shard ends it, stopping the root does not.
    return serveWatch(store, q, res, ctx.watches, { bookmarkIntervalMs: ctx.bookmarkIntervalMs })
  }
  if (name !== undefined) {
    const o = store.get(key, VIEW_CLUSTER, '', name)
    if (o === undefined) throw notFound(def.group, def.resource, name)
    return sendJSON(res, 200, o.json)
  }
  const limitRaw = query.get('limit')
  const limit = limitRaw === null || limitRaw === '' ? undefined : Number(limitRaw)
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw badRequest(`invalid limit: ${JSON.stringify(limitRaw)}`)
  const result = list(store, {
    res: key, cluster: VIEW_CLUSTER, resourceVersion: optional(query.get('resourceVersion')), resourceVersionMatch: optional(query.get('resourceVersionMatch')),
    limit, continueToken: optional(query.get('continue')), labels, fields: baseFields,
  })
  sendJSON(res, 200, listJSON(def.kind, groupVersion(def), result))
}
