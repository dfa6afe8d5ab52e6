// Graceful shutdown and what it has to end, owned in one place: the requests in flight (the
// pipeline reports them here), the upgrade tunnels, the HTTP/2 sessions and the TLS sockets
// (the listener reports those). The order is docs/server.md's: readiness fails first, then
// accepting stops, watches end and tunnels are cut, in-flight requests drain (bounded), and
// whatever is left is closed.
import type { ServerHttp2Session } from 'node:http2'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { ReadinessCheck } from '../controller/types.js'
import { ProxyError } from '../errors.js'
import type { Exchange } from '../proxy/exchange.js'
import type { RequestTracker } from '../proxy/pipeline.js'
import { writeError } from '../proxy/respond.js'

/** In-flight requests, for graceful shutdown. */
export class InFlight implements RequestTracker {
  readonly all = new Set<Exchange>()
  #idle: (() => void)[] = []
  draining = false

  add(ex: Exchange): void {
    this.all.add(ex)
  }

  delete(ex: Exchange): void {
    this.all.delete(ex)
    if (this.all.size === 0 && this.#idle.length > 0) for (const f of this.#idle.splice(0)) f()
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    if (this.all.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Ends every long-running stream cleanly (a watch sees a normal end and re-watches elsewhere). */
  endLongRunning(): void {
    for (const ex of this.all) {
      if (!ex.longRunning) continue
      // End first, then cancel upstream: the abort must not turn the clean end into an error.
      // A watch still waiting for the shard's headers gets a retryable 503 instead.
      if (ex.res.headersSent) ex.res.end()
      else writeError(ex, new ProxyError('FP_SHUTTING_DOWN'))
      ex.upstream?.cancel(false)
    }
  }
}

/** Everything a shutdown ends; the pipeline, the upgrade handler and the listener fill it. */
export class Connections {
  readonly inflight = new InFlight()
  /** Client sockets of upgrades in progress or tunnelled. */
  readonly tunnels = new Set<Duplex>()
  /** Open HTTP/2 sessions, for GOAWAY. */
  readonly sessions = new Set<ServerHttp2Session>()
  /** Every accepted TLS connection. */
  readonly sockets = new Set<Socket>()
}

export interface ShutdownPlan {
  logger: Logger
  connections: Connections
  /** From the options; a caller may override per call. */
  defaults: { delayMs: number; timeoutMs: number }
  /** Step 2: the listening server stops accepting. */
  stopAccepting: () => void
  /** Step 2, after GOAWAY: file watches and reloads stop. */
  stopReloads: () => void
  /** Step 5, in this order, once the connections are destroyed. */
  release: readonly (() => unknown)[]
}

export interface Shutdown {
  /** The `shutdown` readiness check: fails from the first moment of a shutdown. */
  readonly checks: () => ReadinessCheck[]
  /** Runs once; later calls get the same promise. */
  readonly shutdown: (o?: { delayMs?: number; timeoutMs?: number }) => Promise<void>
}

export function createShutdown(plan: ShutdownPlan): Shutdown {
  const { logger, connections: c } = plan
  let shuttingDown = false
  let running: Promise<void> | undefined

  async function run(delayMs: number, timeoutMs: number): Promise<void> {
    // 1. Readiness fails first; connections keep being accepted while the LB deregisters us.
    shuttingDown = true
    logger.info({ delayMs, timeoutMs }, 'shutdown: readiness failing')
    if (delayMs > 0) await sleep(delayMs)
    // 2. Stop accepting. h2 clients get GOAWAY; h1 responses from now on say Connection: close.
    c.inflight.draining = true
    plan.stopAccepting()
    for (const s of c.sessions) s.close()
    plan.stopReloads()
    // 3. Watches end cleanly (clients re-watch on another replica); tunnels are cut.
    c.inflight.endLongRunning()
    for (const t of c.tunnels) t.destroy()
    // 4. In-flight requests drain, bounded.
    let timer: NodeJS.Timeout | undefined
    const drained = await Promise.race([
      c.inflight.idle().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ])
    clearTimeout(timer)
    if (!drained) logger.warn({ inflight: c.inflight.all.size }, 'shutdown: drain timeout; closing connections')
    // 5. Whatever is left (idle keep-alives, stuck requests) is closed.
    for (const s of c.sessions) s.destroy()
    for (const s of c.sockets) s.destroy()
    for (const release of plan.release) await release()
    logger.info('shutdown: done')
  }

  return {
    checks: () => [{ name: 'shutdown', ok: !shuttingDown, ...(shuttingDown ? { message: 'the server is shutting down' } : {}) }],
    shutdown: (o = {}) => (running ??= run(o.delayMs ?? plan.defaults.delayMs, o.timeoutMs ?? plan.defaults.timeoutMs)),
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
