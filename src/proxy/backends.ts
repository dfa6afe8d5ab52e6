// undici Pools per (backend TLS identity, origin): keep-alive pooling, the mapping's client
// certificate and CA, and no body/header timeouts, because a watch may stay silent for minutes
// and the Go front-proxy does not time them out either. Over HTTP/1.1 each origin has two pools:
// short requests share at most `maxConnections` connections (500 concurrent clients must not
// mean 500 TLS handshakes and sockets to one shard), long-running ones (watches, one per
// connection) have their own, unbounded, so no number of watches can starve short requests or
// be refused. Over HTTP/2 one pool multiplexes both.
import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import { createSecureContext, type SecureContext } from 'node:tls'
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
  /** HTTP/1.1 only: connections per origin for short (not long-running) requests; more wait in the pool. Default 128. */
  maxConnections?: number
}

export const DEFAULT_MAX_CONNECTIONS = 128

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
  /** fingerprint → origin (+ '\0long' for the HTTP/1.1 long-running pool) → pool. */
  readonly #pools = new Map<string, Map<string, Pool>>()
  /**
   * One TLS context per identity: without it every new connection would parse the key, the
   * certificate and the CA again (createSecureContext per tls.connect, ~1 ms of CPU each).
   */
  readonly #contexts = new Map<string, SecureContext>()
  #closed = false

  constructor(opts: BackendOptions = {}) {
    this.#opts = opts
  }

  /** Pools are created lazily: a mount or a newly added shard needs no restart. */
  get(fingerprint: string, tls: BackendTLS, origin: string, longRunning = false): Pool {
    let byOrigin = this.#pools.get(fingerprint)
    if (byOrigin === undefined) this.#pools.set(fingerprint, (byOrigin = new Map<string, Pool>()))
    const separate = longRunning && this.#opts.http2 !== true
    const key = separate ? `${origin}\0long` : origin
    let pool = byOrigin.get(key)
    if (pool === undefined) {
      if (this.#closed) throw new Error('backend pools are closed')
      pool = this.#create(fingerprint, tls, origin, separate)
      byOrigin.set(key, pool)
    }
    return pool
  }

  #create(fingerprint: string, tls: BackendTLS, origin: string, longRunning: boolean): Pool {
    const host = new URL(origin).hostname.replace(/^\[|\]$/g, '')
    const h2 = this.#opts.http2 === true
    const streams = this.#opts.http2MaxStreams ?? 100
    let secureContext = this.#contexts.get(fingerprint)
    if (secureContext === undefined) this.#contexts.set(fingerprint, (secureContext = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key })))
    return new Pool(origin, {
      // Bounded only for short HTTP/1.1 requests (see the header comment).
      connections: h2 || longRunning ? null : (this.#opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS),
      connect: {
        secureContext,
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
      this.#contexts.delete(fp)
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
    this.#contexts.clear()
    await Promise.all(all)
  }
}
