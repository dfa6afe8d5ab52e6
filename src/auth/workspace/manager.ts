// Builds and keeps one authenticator per WorkspaceAuthenticationConfiguration as the controller
// feeds the auth-config index (eagerly: keys are being fetched before the first request needs
// them), and answers authenticatorFor() per request from a memo that is dropped whenever the index
// or the set of built WACs changes.
import type { Logger } from 'pino'
import { Counter, Gauge, type Registry } from 'prom-client'
import { authConfigRefKey, type AuthConfigChange, type AuthConfigIndex } from '../../index/auth-configs.js'
import type { ReadinessCheck } from '../../controller/types.js'
import type { KeySetTiming } from '../jwks.js'
import type { WorkspaceAuthentication, WorkspaceAuthenticator } from './types.js'
import { TypeAuthenticator } from './union.js'
import { SharedIssuerKeys } from './shared-keys.js'
import { BuiltAuthConfig, specJSON, type BuildOptions } from './wac.js'

export interface WorkspaceAuthenticationOptions {
  /** --api-audiences: when non-empty, workspace tokens must name one of them too (kcp docs; upstream's proxy passes none). */
  apiAudiences: readonly string[]
}

export interface WorkspaceAuthenticationDeps {
  /** Fed by the index controller (IndexControllerOptions.authIndex). */
  index: AuthConfigIndex
  logger: Logger
  registry: Registry
  /** Test hook: key refresh timing of every issuer. */
  timing?: Partial<KeySetTiming>
}

export function createWorkspaceAuthentication(opts: WorkspaceAuthenticationOptions, deps: WorkspaceAuthenticationDeps): WorkspaceAuthentication {
  return new Manager(opts, deps)
}

class Manager implements WorkspaceAuthentication {
  readonly #index: AuthConfigIndex
  readonly #logger: Logger
  readonly #build: BuildOptions
  readonly #configs = new Map<string, BuiltAuthConfig>()
  readonly #unsubscribe: () => void
  readonly #failures: Counter
  /** Memo of authenticatorFor per type key, valid for (#seenIndexGen, #configsGen). */
  readonly #byType = new Map<string, TypeAuthenticator | null>()
  #unions = new Map<string, TypeAuthenticator>()
  #seenIndexGen = -1
  #configsGen = 0
  #seenConfigsGen = -1
  #closed = false

  constructor(opts: WorkspaceAuthenticationOptions, deps: WorkspaceAuthenticationDeps) {
    this.#index = deps.index
    this.#logger = deps.logger.child({ component: 'workspace-auth' })
    const keys = new SharedIssuerKeys({ logger: this.#logger, ...(deps.timing !== undefined ? { timing: deps.timing } : {}) })
    this.#build = { apiAudiences: [...opts.apiAudiences], keys }
    this.#failures = new Counter({
      name: 'kcp_front_proxy_workspace_auth_build_failures_total',
      help: 'WorkspaceAuthenticationConfigurations that could not be built (their tokens are refused until they are fixed).',
      registers: [deps.registry],
    })
    const configs = this.#configs
    new Gauge({
      name: 'kcp_front_proxy_workspace_auth_configs',
      help: 'WorkspaceAuthenticationConfigurations by state: ready (keys of every issuer loaded), loading, failed (not built).',
      labelNames: ['state'],
      registers: [deps.registry],
      collect() {
        const n = { ready: 0, loading: 0, failed: 0 }
        for (const c of configs.values()) n[c.state()]++
        for (const [state, v] of Object.entries(n)) this.set({ state }, v)
      },
    })
    this.#unsubscribe = this.#index.subscribe((c) => this.#apply(c))
    for (const { ref, object } of this.#index.authConfigs()) this.#apply({ type: 'upsert', ref, object })
  }

  #apply(c: AuthConfigChange): void {
    if (this.#closed) return
    const key = authConfigRefKey(c.ref)
    const old = this.#configs.get(key)
    if (c.type === 'delete') {
      if (old === undefined) return
      this.#configs.delete(key)
      this.#retire(old)
      this.#logger.info({ ...c.ref }, 'WorkspaceAuthenticationConfiguration deleted; its tokens are no longer accepted')
      return
    }
    // The same spec (a metadata-only write, a relist): keep the built one and its keys.
    if (old !== undefined && old.specJSON === specJSON(c.object)) return
    const next = new BuiltAuthConfig(c.ref, c.object, this.#build)
    this.#configs.set(key, next)
    if (old !== undefined) this.#retire(old)
    else this.#configsGen++
    if (next.built) {
      next.warmUp()
      this.#logger.info({ ...c.ref }, 'WorkspaceAuthenticationConfiguration built')
    } else {
      this.#failures.inc()
      // Upstream drops such a WAC silently; an operator must be able to see why tokens are refused.
      this.#logger.error({ ...c.ref, errors: next.errors }, 'WorkspaceAuthenticationConfiguration cannot be built; its tokens are refused')
    }
  }

  #retire(old: BuiltAuthConfig): void {
    this.#configsGen++
    // Requests in flight may still hold it: closing only ends its key refreshes, cached keys keep verifying.
    old.close().catch(() => undefined)
  }

  authenticatorFor(workspaceType: string, logicalCluster: string): WorkspaceAuthenticator | undefined {
    if (workspaceType === '' || this.#closed) return undefined
    if (this.#seenIndexGen !== this.#index.generation || this.#seenConfigsGen !== this.#configsGen) {
      this.#seenIndexGen = this.#index.generation
      this.#seenConfigsGen = this.#configsGen
      this.#byType.clear()
      // Unions are kept across changes when their members are the same builds: their caches stay warm.
      const previous = this.#unions
      this.#unions = new Map()
      for (const [sig, u] of previous) if (this.#stillBuilt(sig)) this.#unions.set(sig, u)
    }
    let t = this.#byType.get(workspaceType)
    if (t === undefined) this.#byType.set(workspaceType, (t = this.#resolve(workspaceType)))
    return t === null ? undefined : t.forCluster(logicalCluster)
  }

  #stillBuilt(signature: string): boolean {
    const ids = new Set(signature.split(',').map(Number))
    let n = 0
    for (const c of this.#configs.values()) if (ids.has(c.id)) n++
    return n === ids.size
  }

  #resolve(workspaceType: string): TypeAuthenticator | null {
    const l = this.#index.lookup(workspaceType)
    if (l === undefined) return null
    const members: BuiltAuthConfig[] = []
    for (const ref of l.refs) {
      const c = this.#configs.get(authConfigRefKey(ref))
      if (c !== undefined && c.built) members.push(c)
    }
    if (members.length === 0) return null
    const sig = members.map((m) => m.id).join(',')
    let u = this.#unions.get(sig)
    if (u === undefined) this.#unions.set(sig, (u = new TypeAuthenticator(members)))
    return u
  }

  readiness(): ReadinessCheck[] {
    return [...this.#configs.values()].map((c) => c.readiness()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  async settled(): Promise<void> {
    await Promise.all([...this.#configs.values()].map((c) => c.settled()))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#unsubscribe()
    await Promise.all([...this.#configs.values()].map((c) => c.close()))
    this.#configs.clear()
    this.#byType.clear()
    this.#unions.clear()
  }
}
