// undici Pools per (backend TLS identity, origin): keep-alive pooling, the mapping's client
// certificate and CA, and no body/header timeouts, because a watch may stay silent for minutes
// and the Go front-proxy does not time them out either. Each origin has two pools: short
// requests share at most `maxConnections` HTTP/1.1 connections (500 concurrent clients must not
// mean 500 TLS handshakes and sockets to one shard), long-running ones (watches) have their own,
// unbounded, so no number of watches can starve short requests or be refused. By protocol:
//   auto (default)  short: the bounded HTTP/1.1 connections (the cheapest per request in CPU);
//                   long-running: multiplexed over HTTP/2 when the shard offers it (≈ 12 KiB per
//                   watch instead of a TLS connection each), else one HTTP/1.1 connection each.
//   http1           both over HTTP/1.1.
//   http2           one pool multiplexes both.
//
// With fair queuing on (--enable-fair-queuing), the HTTP/2 pool's short requests get the same
// gate as HTTP/1.1's, over slots instead of connections (fairness/slots.ts): at most
// maxConnections in flight per shard, the rest queued fairly.
//
// The TLS server name and the pool come from the shard URL only. undici would otherwise take
// the server name from each request's Host header: a client's `Host: kcp.example.com` failed
// the shard's certificate check, and alternating Host values forced a new handshake per request.
// The client's Host itself still reaches the shard, as upstream's Director leaves req.Host.
import { isIP } from 'node:net'
import type { Socket } from 'node:net'
import { createSecureContext, type SecureContext } from 'node:tls'
import { Client, Pool, buildConnector, type Dispatcher } from 'undici'
import { ShortConnections } from './connections.js'
import type { Route } from './forward.js'
import type { BackendProtocol } from '../config/types.js'
import type { BackendTLS } from './backend-tls.js'
import { ShardGate, type GateOptions } from './shard-gate.js'
import { DEFAULT_MAX_CONNECTIONS } from './limits.js'
import { StreamSlots } from './fairness/slots.js'
import { unobservedStats, type FlowControlStats } from './fairness/stats.js'

export interface BackendOptions {
  /** Protocol to the shards (see the header comment); default auto. */
  protocol?: BackendProtocol
  /** auto and http1: connections per origin for short (not long-running) requests; more wait in the gate's queue. Default 128. */
  maxConnections?: number
  /** auto and http1, short requests: how many may wait for a connection per origin, and for how long (see shard-gate.ts). */
  queue?: Omit<GateOptions, 'limit' | 'stats'>
  /** Fair queuing on: the HTTP/2 pool's short requests are gated too (see the header comment). */
  fairQueuing?: boolean
  /** The flow-control counters of a shard (metrics); default: counted nowhere. */
  flowControlStats?: (shard: string) => FlowControlStats
}

/** Connect timeout (Go: 30 s dial + 10 s TLS handshake). */
const CONNECT_TIMEOUT_MS = 10_000
/** Idle keep-alive per connection (shards keep 90 s idle). */
const KEEP_ALIVE_TIMEOUT_MS = 60_000
/**
 * HTTP/2 only: streams per connection before the pool opens another one: the Node/Go servers'
 * advertised SETTINGS_MAX_CONCURRENT_STREAMS. It must not exceed the shard's value, or undici
 * hands nghttp2 streams it queues until another finishes, which a watch never does.
 */
const HTTP2_MAX_STREAMS = 100

/**
 * Where a request goes. Short HTTP/1.1 requests: through `gate`, which hands out one of the
 * shard's bounded connections (`connections`) per request. Everything else: `dispatcher`, an
 * undici Pool (unbounded: watches; or HTTP/2, multiplexed).
 */
export type Backend = PoolBackend | GatedBackend | LimitedBackend

export interface PoolBackend { readonly kind: 'pool'; readonly dispatcher: Dispatcher; readonly route: Route }
export interface GatedBackend {
  readonly kind: 'gated'
  readonly gate: ShardGate<Client>
  readonly connections: ShortConnections
  /** The route for one request on `client`; its release hands the connection back through the gate. */
  readonly route: (client: Client) => Route
}
/** HTTP/2 with fair queuing: short requests wait at `gate` for a slot on `pool` (long-running ones use `pool` directly). */
export interface LimitedBackend { readonly kind: 'limited'; readonly gate: ShardGate<Route>; readonly pool: PoolBackend }

// `servername` is passed with every request so undici never derives a server name from the Host
// header (it reconnects whenever the name changes); the connector ignores it and uses the shard's own.

type Connector = ReturnType<typeof buildConnector>

/**
 * A Client that never tells its Pool it has room while it is full. undici (7.30) defers the
 * 'drain' a dispatch earns to a microtask (client.js _resume, `sync`) and does not look again
 * before emitting it: when several requests are dispatched in one synchronous stretch (turns.ts
 * starts up to PER_TURN per turn), the drain queued by the 99th of 100 streams arrives after the
 * 100th filled the client, the Pool takes the client for free again and gives it a 101st request
 * that waits in the client's queue until one of its streams ends, which a watch never does (a
 * watch stalled without response headers). Such a drain is dropped and the client re-armed:
 * setting `pipelining` runs undici's resume, which marks a busy client as owing a drain, so the
 * real one comes when a stream ends.
 */
class MultiplexedClient extends Client {
  // Client types emit() per event; this override only looks at the name and passes everything on.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'drain' && this.stats.size >= this.pipelining) {
      // eslint-disable-next-line no-self-assign -- the setter re-arms the drain (see above)
      this.pipelining = this.pipelining
      return false
    }
    return (super.emit as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args)
  }
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
    const { connect } = opts as { connect: Connector }
    const client: Client = new MultiplexedClient(origin, {
      ...opts,
      pipelining: lastWasH2 ? streams : 1,
      connect: (o, cb) => connect(o, (...args) => {
        // A failed connect passes (err) alone: the socket is undefined then, not null.
        const socket = args[1]
        if (args[0] === null && socket !== null && socket !== undefined) {
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
  /** fingerprint → origin (+ '\0long' for the long-running pool unless http2) → backend. */
  readonly #backends = new Map<string, Map<string, Backend>>()
  /**
   * One TLS context per identity: without it every new connection would parse the key, the
   * certificate and the CA again (createSecureContext per tls.connect, ~1 ms of CPU each).
   */
  readonly #contexts = new Map<string, SecureContext>()
  /** fingerprint → origin → HTTP/1.1-only connector for upgrade tunnels (same context, timeout and session cache rules). */
  readonly #tunnelConnectors = new Map<string, Connector>()
  #closed = false

  constructor(opts: BackendOptions = {}) {
    this.#opts = opts
  }

  get #protocol(): BackendProtocol {
    return this.#opts.protocol ?? 'auto'
  }

  /**
   * Backends are created lazily: a mount or a newly added shard needs no restart. `shard` names
   * the gate's flow-control metrics (the first request's shard; '' for mappings without one).
   */
  get(fingerprint: string, tls: BackendTLS, origin: string, longRunning = false, shard = ''): Backend {
    let byOrigin = this.#backends.get(fingerprint)
    if (byOrigin === undefined) this.#backends.set(fingerprint, (byOrigin = new Map<string, Backend>()))
    const separate = longRunning && this.#protocol !== 'http2'
    const key = separate ? `${origin}\0long` : origin
    let backend = byOrigin.get(key)
    if (backend === undefined) {
      if (this.#closed) throw new Error('backend pools are closed')
      backend = this.#create(fingerprint, tls, origin, separate, shard)
      byOrigin.set(key, backend)
    }
    return longRunning && backend.kind === 'limited' ? backend.pool : backend
  }

  /** The shard's connections without a limit (those of long-running requests): for requests exempt from the gate. */
  unlimited(fingerprint: string, tls: BackendTLS, origin: string, shard = ''): PoolBackend {
    const b = this.get(fingerprint, tls, origin, true, shard)
    // get() hands long-running requests a pool in every protocol.
    if (b.kind !== 'pool') throw new Error(`no unlimited pool for ${origin}`)
    return b
  }

  /**
   * A fresh HTTP/1.1-only TLS connection for one upgrade tunnel (never pooled, never reused),
   * with the pools' TLS context, connect timeout and server name.
   */
  connectTunnel(fingerprint: string, tls: BackendTLS, origin: string, cb: (err: Error | null, socket: Socket | null) => void): void {
    if (this.#closed) {
      cb(new Error('backend pools are closed'), null)
      return
    }
    const key = `${fingerprint}\0${origin}`
    let connect = this.#tunnelConnectors.get(key)
    if (connect === undefined) this.#tunnelConnectors.set(key, (connect = this.#connector(fingerprint, tls, origin, false)))
    const u = new URL(origin)
    connect({ hostname: u.hostname, host: u.host, protocol: u.protocol, port: u.port, servername: undefined, localAddress: null, httpSocket: undefined }, (err, socket) => cb(err, socket))
  }

  #context(fingerprint: string, tls: BackendTLS): SecureContext {
    let secureContext = this.#contexts.get(fingerprint)
    if (secureContext === undefined) this.#contexts.set(fingerprint, (secureContext = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key })))
    return secureContext
  }

  /** undici's connector with the server name fixed to the shard's host (none for IP addresses). */
  #connector(fingerprint: string, tls: BackendTLS, origin: string, allowH2: boolean): Connector {
    const host = new URL(origin).hostname.replace(/^\[|\]$/g, '')
    const base = buildConnector({
      secureContext: this.#context(fingerprint, tls),
      // SNI must not be an IP address (RFC 6066); Node verifies the IP SAN without it.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      timeout: CONNECT_TIMEOUT_MS,
      allowH2,
    })
    return (o, cb) => base({ ...o, servername: undefined }, cb)
  }

  #create(fingerprint: string, tls: BackendTLS, origin: string, longRunning: boolean, shard: string): Backend {
    const protocol = this.#protocol
    const h2 = protocol === 'http2' || (protocol === 'auto' && longRunning)
    const servername = new URL(origin).host
    const common = {
      connect: this.#connector(fingerprint, tls, origin, h2),
      bodyTimeout: 0,
      headersTimeout: 0,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      pipelining: 1,
    }
    if (!h2 && !longRunning) {
      // Bounded: short HTTP/1.1 requests (see the header comment and shard-gate.ts).
      const connections = new ShortConnections(origin, common)
      const gate = new ShardGate<Client>(this.#gateOptions(shard || servername), connections)
      // No closure per request: the gate itself is told when the connection is free (forward.ts).
      const route = (client: Client): Route => ({ dispatcher: client, servername, drainable: true, owner: gate })
      return { kind: 'gated', gate, connections, route }
    }
    const dispatcher = new Pool(origin, {
      ...common,
      connections: null,
      allowH2: h2,
      maxConcurrentStreams: h2 ? HTTP2_MAX_STREAMS : undefined,
      factory: h2 ? multiplexingFactory(HTTP2_MAX_STREAMS) : undefined,
    })
    const pool: PoolBackend = { kind: 'pool', dispatcher, route: { dispatcher, servername, drainable: false } }
    if (longRunning || this.#opts.fairQueuing !== true) return pool
    const options = this.#gateOptions(shard || servername)
    // Every slot is this one route; its release frees the slot through the gate.
    const slot: Route = { dispatcher, servername, drainable: false, owner: { release: () => gate.release(slot) } }
    const gate = new ShardGate<Route>(options, new StreamSlots(options.limit, slot))
    return { kind: 'limited', gate, pool }
  }

  /** `label` names the gate in metrics: the shard, or for a mapping's backend that is no shard (`/services/`, `/`) its host:port. */
  #gateOptions(label: string): GateOptions {
    const stats = this.#opts.flowControlStats?.(label) ?? unobservedStats()
    return { limit: this.#opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS, ...this.#opts.queue, stats }
  }

  /** Gracefully closes the pools of TLS identities no longer in use (after a mapping reload). */
  retainOnly(fingerprints: Set<string>): Promise<void> {
    const closing: Promise<void>[] = []
    for (const [fp, byOrigin] of this.#backends) {
      if (fingerprints.has(fp)) continue
      this.#backends.delete(fp)
      this.#contexts.delete(fp)
      for (const key of this.#tunnelConnectors.keys()) if (key.startsWith(`${fp}\0`)) this.#tunnelConnectors.delete(key)
      // close() lets running requests (watches included) finish on the old identity.
      for (const b of byOrigin.values()) closing.push(closeBackend(b, false))
    }
    return Promise.all(closing).then(() => undefined)
  }

  /** Destroys every pool now (shutdown after drain). */
  async destroy(): Promise<void> {
    this.#closed = true
    const all: Promise<void>[] = []
    for (const byOrigin of this.#backends.values()) for (const b of byOrigin.values()) all.push(closeBackend(b, true))
    this.#backends.clear()
    this.#contexts.clear()
    this.#tunnelConnectors.clear()
    await Promise.all(all)
  }
}

/** Closes a backend: gracefully (running requests finish) or at once. */
function closeBackend(b: Backend, now: boolean): Promise<void> {
  if (b.kind === 'pool') return now ? b.dispatcher.destroy() : b.dispatcher.close()
  b.gate.close()
  if (b.kind === 'limited') return closeBackend(b.pool, now)
  return now ? b.connections.destroy() : b.connections.close()
}
