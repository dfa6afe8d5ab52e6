// One undici Pool per (backend TLS identity, origin): keep-alive pooling, the mapping's
// client certificate and CA, and no body/header timeouts, because a watch may stay silent
// for minutes and the Go front-proxy does not time them out either.
import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import { Client, Pool, type buildConnector } from 'undici'
import type { BackendTLS } from './mapping.js'

export interface BackendOptions {
  /** Speak HTTP/2 to backends (default HTTP/1.1: one watch per connection, no h2 flow-control stalls). */
  http2?: boolean
  /** Idle keep-alive per connection, default 60 s (shards keep 90 s idle). */
  keepAliveTimeoutMs?: number
  /** Connect timeout, default 10 s (Go: 30 s dial + 10 s TLS handshake). */
  connectTimeoutMs?: number
  /**
   * HTTP/2 only: streams per connection before the pool opens another one. Default 100, the
   * Node/Go servers' advertised SETTINGS_MAX_CONCURRENT_STREAMS; must not exceed the shard's value,
   * or undici hands nghttp2 streams it queues until another finishes, which a watch never does.
   */
  http2MaxStreams?: number
}

export function tlsFingerprint(tls: BackendTLS): string {
  return createHash('sha256').update(tls.ca).update('\0').update(tls.cert).update('\0').update(tls.key).digest('hex')
}

/**
 * undici's Pool treats a client with `pipelining` requests in flight as busy and opens another
 * connection, so with the h1-safe value 1 HTTP/2 would still cost one TLS connection per watch.
 * Each client's limit is set from the protocol ALPN actually chose: h2 → `streams` concurrent
 * streams; h1 → 1, because a pipelined request would wait behind a watch forever. A new client
 * starts from what the pool's last connection negotiated (1 until the first handshake).
 */
function multiplexingFactory(streams: number): (origin: URL, opts: object) => Client {
  let lastWasH2 = false
  return (origin, opts) => {
    const { connect } = opts as { connect: buildConnector.connector }
    const client: Client = new Client(origin, {
      ...opts,
      pipelining: lastWasH2 ? streams : 1,
      connect: (o, cb) => connect(o, (...args) => {
        const socket = args[1]
        if (socket !== null) {
          lastWasH2 = (socket as { alpnProtocol?: string | false }).alpnProtocol === 'h2'
          client.pipelining = lastWasH2 ? streams : 1
        }
        cb(...args)
      }),
    })
    return client
  }
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
    const h2 = this.#opts.http2 === true
    const streams = this.#opts.http2MaxStreams ?? 100
    return new Pool(origin, {
      connect: {
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        // SNI must not be an IP address (RFC 6066); Node verifies the IP SAN without it.
        servername: isIP(host) === 0 ? host : undefined,
        timeout: this.#opts.connectTimeoutMs ?? 10_000,
      },
      allowH2: h2,
      bodyTimeout: 0,
      headersTimeout: 0,
      keepAliveTimeout: this.#opts.keepAliveTimeoutMs ?? 60_000,
      pipelining: 1,
      maxConcurrentStreams: h2 ? streams : undefined,
      factory: h2 ? multiplexingFactory(streams) : undefined,
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
