// One undici Pool per (backend TLS identity, origin): keep-alive pooling, the mapping's
// client certificate and CA, and no body/header timeouts, because a watch may stay silent
// for minutes and the Go front-proxy does not time them out either.
import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import { Pool } from 'undici'
import type { BackendTLS } from './mapping.js'

export interface BackendOptions {
  /** Speak HTTP/2 to backends (default HTTP/1.1: one watch per connection, no h2 flow-control stalls). */
  http2?: boolean
  /** Idle keep-alive per connection, default 60 s (shards keep 90 s idle). */
  keepAliveTimeoutMs?: number
  /** Connect timeout, default 10 s (Go: 30 s dial + 10 s TLS handshake). */
  connectTimeoutMs?: number
}

export function tlsFingerprint(tls: BackendTLS): string {
  return createHash('sha256').update(tls.ca).update('\0').update(tls.cert).update('\0').update(tls.key).digest('hex')
}

export class BackendPools {
  readonly #opts: BackendOptions
  /** fingerprint → origin → pool. */
  readonly #pools = new Map<string, Map<string, Pool>>()
  #closed = false

  constructor(opts: BackendOptions = {}) {
    this.#opts = opts
  }

  /** Pools are created lazily: a mount or a newly added shard needs no restart. */
  get(fingerprint: string, tls: BackendTLS, origin: string): Pool {
    let byOrigin = this.#pools.get(fingerprint)
    if (byOrigin === undefined) this.#pools.set(fingerprint, (byOrigin = new Map<string, Pool>()))
    let pool = byOrigin.get(origin)
    if (pool === undefined) {
      if (this.#closed) throw new Error('backend pools are closed')
      pool = this.#create(tls, origin)
      byOrigin.set(origin, pool)
    }
    return pool
  }

  #create(tls: BackendTLS, origin: string): Pool {
    const host = new URL(origin).hostname.replace(/^\[|\]$/g, '')
    return new Pool(origin, {
      connect: {
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        // SNI must not be an IP address (RFC 6066); Node verifies the IP SAN without it.
        servername: isIP(host) === 0 ? host : undefined,
        timeout: this.#opts.connectTimeoutMs ?? 10_000,
      },
      allowH2: this.#opts.http2 === true,
      bodyTimeout: 0,
      headersTimeout: 0,
      keepAliveTimeout: this.#opts.keepAliveTimeoutMs ?? 60_000,
      pipelining: 1,
    })
  }

  /** Gracefully closes the pools of TLS identities no longer in use (after a mapping reload). */
  retainOnly(fingerprints: Set<string>): Promise<void> {
    const closing: Promise<void>[] = []
    for (const [fp, byOrigin] of this.#pools) {
      if (fingerprints.has(fp)) continue
      this.#pools.delete(fp)
      // close() lets running requests (watches included) finish on the old identity.
      for (const p of byOrigin.values()) closing.push(p.close())
    }
    return Promise.all(closing).then(() => undefined)
  }

  /** Destroys every pool now (shutdown after drain). */
  async destroy(): Promise<void> {
    this.#closed = true
    const all: Promise<void>[] = []
    for (const byOrigin of this.#pools.values()) for (const p of byOrigin.values()) all.push(p.destroy())
    this.#pools.clear()
    await Promise.all(all)
  }
}
