// One WorkspaceAuthenticationConfiguration, built: its JWT authenticators by issuer, or why it
// could not be built. Built once per spec (a status or metadata change rebuilds nothing), so keys
// fetched for a WAC survive unrelated writes.
import type { AuthConfigObject, AuthConfigRef } from '../../index/auth-configs.js'
import type { ReadinessCheck } from '../../controller/types.js'
import { JWTAuthenticator } from './jwt.js'
import { compileAuthConfig } from './jwt-config.js'
import type { SharedIssuerKeys } from './shared-keys.js'

let nextId = 0

/** What decides whether a WAC must be rebuilt. */
export function specJSON(object: AuthConfigObject): string {
  return JSON.stringify(object.spec ?? null)
}

export interface BuildOptions {
  apiAudiences: readonly string[]
  keys: SharedIssuerKeys
}

export class BuiltAuthConfig {
  /** Unique per build: unions of the same builds share their token cache. */
  readonly id = ++nextId
  readonly ref: AuthConfigRef
  /** JSON of the spec it was built from. */
  readonly specJSON: string
  /** Problems that kept it from being built; empty when built. */
  readonly errors: readonly string[]
  readonly #byIssuer = new Map<string, JWTAuthenticator[]>()
  readonly #all: JWTAuthenticator[] = []

  constructor(ref: AuthConfigRef, object: AuthConfigObject, o: BuildOptions) {
    this.ref = ref
    this.specJSON = specJSON(object)
    const compiled = compileAuthConfig(object.spec)
    this.errors = compiled.errors
    for (const c of compiled.jwt) {
      const a = new JWTAuthenticator(c, o)
      this.#all.push(a)
      const list = this.#byIssuer.get(c.issuer)
      if (list === undefined) this.#byIssuer.set(c.issuer, [a])
      else list.push(a)
    }
  }

  get built(): boolean {
    return this.errors.length === 0
  }

  /** The authenticators for a token claiming issuer `iss` (none: not this WAC's token). */
  forIssuer(iss: string): readonly JWTAuthenticator[] {
    return this.#byIssuer.get(iss) ?? []
  }

  /** Starts every issuer's discovery and key fetch. */
  warmUp(): void {
    for (const a of this.#all) a.warmUp()
  }

  /** Resolves when every issuer's first key fetch has ended (loaded or failed). */
  async settled(): Promise<void> {
    await Promise.all(this.#all.map((a) => a.settled()))
  }

  state(): 'ready' | 'loading' | 'failed' {
    if (!this.built) return 'failed'
    return this.#all.every((a) => a.status().loaded) ? 'ready' : 'loading'
  }

  /** Never blocking: a WAC's problem must not take the replica out of the load balancer. */
  readiness(): ReadinessCheck {
    const name = `workspace-auth:${this.ref.shard}:${this.ref.cluster}:${this.ref.name}`
    if (!this.built) return { name, ok: false, blocking: false, message: `not built: ${this.errors.join('; ')}` }
    const waiting = this.#all.filter((a) => !a.status().loaded).map((a) => `issuer ${a.issuer}: keys not loaded${a.status().lastError !== undefined ? `: ${a.status().lastError}` : ' yet'}`)
    return waiting.length === 0 ? { name, ok: true } : { name, ok: false, blocking: false, message: waiting.join('; ') }
  }

  async close(): Promise<void> {
    await Promise.all(this.#all.map((a) => a.close()))
  }
}
