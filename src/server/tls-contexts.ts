// The TLS contexts the listener serves: the default one (serving certificate, the client CAs to
// request a certificate for, cipher settings) and one per --tls-sni-cert-key name. SNI contexts
// share the client CAs and cipher settings, so every change to those rebuilds them too; the
// SNI callback the listener was created with reads the latest set.
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls'
import type { NodeTLSSettings } from '../config/index.js'
import type { KeyPair } from '../pki/index.js'
import { matchSni } from './tls.js'

type SNICallback = (name: string, cb: (e: Error | null, c?: SecureContext) => void) => void

/** Options of the default context (what setSecureContext takes on a change). */
export type DefaultTLS = SecureContextOptions & { requestCert: boolean; rejectUnauthorized: false }
/** Options the listener is created with. */
export type ListenerTLS = DefaultTLS & { SNICallback?: SNICallback }

export interface ServingContextsOptions {
  pair: KeyPair
  /** Server name → certificate (loadSniCerts); empty for no SNI. */
  sniCerts: ReadonlyMap<string, KeyPair>
  settings: NodeTLSSettings
  /** PEM CAs to request client certificates for; none = no certificate request. */
  clientCAs?: () => string[]
}

export class ServingContexts {
  #pair: KeyPair
  #sni = new Map<string, SecureContext>()
  readonly #o: ServingContextsOptions

  constructor(o: ServingContextsOptions) {
    this.#o = o
    this.#pair = o.pair
  }

  /** A rotated serving certificate; applied by the next rebuild(). */
  setPair(pair: KeyPair): void {
    this.#pair = pair
  }

  /**
   * Reads the current client CAs and returns the default context's options from them and the
   * current pair. Replaces the SNI contexts too (they share the CAs): call it on every change.
   */
  rebuild(): DefaultTLS {
    const cas = this.#o.clientCAs?.() ?? []
    const s = this.#o.settings
    const common = {
      ...(cas.length > 0 ? { ca: cas } : {}),
      minVersion: s.minVersion,
      ...(s.ciphers !== undefined ? { ciphers: s.ciphers } : {}),
      ...(s.ecdhCurve !== undefined ? { ecdhCurve: s.ecdhCurve } : {}),
    }
    this.#sni = new Map([...this.#o.sniCerts].map(([name, pair]) => [name, createSecureContext({ ...common, ...pair })]))
    return {
      ...common,
      cert: this.#pair.cert,
      key: this.#pair.key,
      // Requested, not required: authenticators decide (a token-only client has no certificate).
      requestCert: cas.length > 0,
      rejectUnauthorized: false,
    }
  }

  /** rebuild() plus the SNI callback, which answers from the latest rebuild. */
  listenerOptions(): ListenerTLS {
    const base = this.rebuild()
    if (this.#o.sniCerts.size === 0) return base
    return { ...base, SNICallback: (name, cb) => cb(null, matchSni(this.#sni, name)) }
  }
}
