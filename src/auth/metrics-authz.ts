// /metrics authorization (docs/upstream.md#metrics-endpoint): a SubjectAccessReview against the root logical cluster,
// cached like upstream's delegated authorizer (allow 5 min, deny 30 s) on the identity,
// never on the credential.
import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { JSONClient } from '../http/json-client.js'
import { rootBase } from './serviceaccount.js'
import type { UserInfo } from './types.js'

export type SARDecision = { allowed: true } | { allowed: false; reason: string }

export interface MetricsAuthorizerOptions {
  client: JSONClient
  server: URL
  allowTTLms?: number
  denyTTLms?: number
}

export function identityKey(u: UserInfo): string {
  const extra = Object.keys(u.extra)
    .sort()
    .map((k) => [k, u.extra[k]])
  return createHash('sha256')
    .update(JSON.stringify([u.name, u.uid ?? '', [...u.groups].sort(), extra]))
    .digest('base64url')
}

export class MetricsAuthorizer {
  readonly #client: JSONClient
  readonly #url: string
  readonly #allowTTL: number
  readonly #denyTTL: number
  readonly #cache = new LRUCache<string, SARDecision>({ max: 1_000, ttl: 300_000 })
  readonly #inflight = new Map<string, Promise<SARDecision>>()

  constructor(o: MetricsAuthorizerOptions) {
    this.#client = o.client
    this.#url = `${rootBase(o.server)}/clusters/root/apis/authorization.k8s.io/v1/subjectaccessreviews`
    this.#allowTTL = o.allowTTLms ?? 300_000
    this.#denyTTL = o.denyTTLms ?? 30_000
  }

  /** Throws on authorizer errors (→ 500); errors are not cached. */
  async authorize(user: UserInfo): Promise<SARDecision> {
    const key = identityKey(user)
    const hit = this.#cache.get(key)
    if (hit !== undefined) return hit
    let p = this.#inflight.get(key)
    if (p === undefined) {
      p = this.#review(user).finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, p)
    }
    const d = await p
    this.#cache.set(key, d, { ttl: d.allowed ? this.#allowTTL : this.#denyTTL })
    return d
  }

  async #review(user: UserInfo): Promise<SARDecision> {
    const spec: Record<string, unknown> = { nonResourceAttributes: { path: '/metrics', verb: 'get' }, user: user.name, groups: user.groups }
    if (user.uid !== undefined) spec.uid = user.uid
    if (Object.keys(user.extra).length > 0) spec.extra = user.extra
    const res = await this.#client.send('POST', this.#url, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec })
    if (res.status !== 200 && res.status !== 201) throw new Error(`SubjectAccessReview: HTTP ${res.status}`)
    const status = (res.body as { status?: { allowed?: unknown; reason?: unknown; evaluationError?: unknown } } | undefined)?.status
    if (status?.allowed === true) return { allowed: true }
    return { allowed: false, reason: typeof status?.reason === 'string' ? status.reason : '' }
  }
}
