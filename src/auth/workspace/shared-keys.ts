// Issuer key sets shared by every WAC that names the same identity provider (issuer URL,
// discovery URL and CA). Upstream fetches discovery and JWKS once per WAC; hundreds of workspace
// types pointing at one company IdP would each fetch and refresh the same keys. Shared, a new WAC
// for a known IdP is usable as soon as it is indexed (its keys are already loaded), and the IdP
// sees one client per replica. Reference-counted: the last WAC to let go closes the key set.
import type { Logger } from 'pino'
import { IssuerKeys, type KeySetTiming } from '../jwks.js'

export interface IssuerKeysRequest {
  issuer: string
  /** '' = `<issuer>/.well-known/openid-configuration`. */
  discoveryURL: string
  /** PEM roots; '' = the system roots. */
  ca: string
}

export interface KeysLease {
  readonly keys: IssuerKeys
  /** Idempotent. */
  release(): Promise<void>
}

/** A failed key fetch of a never-loaded issuer is retried by requests at most this often (k8s polls every 10 s). */
const MISSING_KEYS_RETRY_MS = 10_000

export class SharedIssuerKeys {
  readonly #logger: Logger
  readonly #timing: Partial<KeySetTiming> | undefined
  readonly #sets = new Map<string, { keys: IssuerKeys; holders: number }>()

  constructor(o: { logger: Logger; timing?: Partial<KeySetTiming> }) {
    this.#logger = o.logger
    this.#timing = o.timing
  }

  /** How many distinct key sets are held (one per identity provider). */
  get size(): number {
    return this.#sets.size
  }

  acquire(r: IssuerKeysRequest): KeysLease {
    // The CA is part of the key: a WAC must not trust keys fetched over another WAC's roots.
    const id = JSON.stringify([r.issuer, r.discoveryURL, r.ca])
    let entry = this.#sets.get(id)
    if (entry === undefined) {
      const keys = new IssuerKeys({
        issuer: r.issuer,
        ...(r.discoveryURL !== '' ? { discoveryURL: r.discoveryURL } : {}),
        ...(r.ca !== '' ? { ca: r.ca } : {}),
        logger: this.#logger,
        ...(this.#timing !== undefined ? { timing: this.#timing } : {}),
        missingKeysRetryMs: this.#timing?.cooldownMs ?? MISSING_KEYS_RETRY_MS,
      })
      this.#sets.set(id, (entry = { keys, holders: 0 }))
    }
    entry.holders++
    const held = entry
    let released = false
    return {
      keys: held.keys,
      release: async () => {
        if (released) return
        released = true
        if (--held.holders > 0) return
        if (this.#sets.get(id) === held) this.#sets.delete(id)
        await held.keys.close()
      },
    }
  }
}
