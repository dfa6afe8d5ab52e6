// Upgrades (exec, attach, port-forward over SPDY or WebSocket). The request is admitted by the
// same admission as every other request (admission.ts), then sent to the shard on a fresh TLS
// connection of its own. The client's bytes reach that connection ONLY after the shard answered
// 101 with the protocol the client asked for: before that the client socket is not read at all.
// Any other answer is relayed as a normal response and both connections are closed — otherwise
// the client's next request would travel over our requestheader-trusted connection with
// whatever X-Remote-* it carries (CVE-2018-1002105). The tunnel's connection is never reused.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { ProxyError } from '../errors.js'
import type { Account, Outcome } from './accounting.js'
import { CleanPathRedirect, type Admit, type Ticket, type Verdict } from './admission.js'
import type { BackendPools } from './backends.js'
import type { ProxyMetrics } from './metrics.js'
import { prettyFor, redirectRaw, rejectRaw } from './respond.js'
import type { RequestTrace, RequestTracer } from './trace-hook.js'
import { openTunnel } from './tunnel.js'

export interface UpgradeDeps {
  admit: Admit
  pools: BackendPools
  metrics: ProxyMetrics
  logger: Logger
  account: Account
  /** Client sockets of upgrades in progress or tunnelled, so shutdown can close them. */
  tunnels: Set<Duplex>
  /** --tracing-config-file: a span per sampled upgrade, as for requests (trace-hook.ts). */
  tracer?: RequestTracer | undefined
}

interface TunnelEnd {
  status: number
  aborted: boolean
}

/** One upgrade's record: what admission learns plus what accounting reports. */
class UpgradeRecord implements Ticket, Outcome {
  readonly method: string
  readonly start = process.hrtime.bigint()
  path = ''
  shard = ''
  cluster = ''
  user = ''
  status = 0
  bytesIn = 0
  bytesOut = 0
  error: string | undefined = undefined
  readonly trace: RequestTrace | undefined

  constructor(req: IncomingMessage, tracer: RequestTracer | undefined) {
    this.method = req.method ?? 'GET'
    this.trace = tracer?.start(req)
  }
}

export function createUpgradeHandler(deps: UpgradeDeps): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { admit, pools, metrics, logger, account, tunnels, tracer } = deps

  return function onUpgrade(req, socket, head) {
    const rec = new UpgradeRecord(req, tracer)
    const protocol = String(req.headers.upgrade ?? '')
    let ended = false
    const end = (e: TunnelEnd): void => {
      if (ended) return
      ended = true
      tunnels.delete(socket)
      rec.status = e.status
      account(rec, e.aborted, protocol)
      rec.trace?.end(rec, e.aborted)
    }
    tunnels.add(socket)
    socket.on('error', () => socket.destroy())
    // A client gone before any answer is accounted as such (499).
    socket.once('close', () => end({ status: rec.status, aborted: rec.status === 0 }))
    const refuse = (err: ProxyError): void => {
      rec.status = err.status
      rejectRaw(socket, err, prettyFor(req))
      // Answered: the span ends now, not whenever the client closes its socket.
      rec.trace?.end(rec, false)
    }
    const proceed = (v: Verdict): void => {
      if (socket.destroyed) return
      if (v instanceof ProxyError) return refuse(v)
      if (v instanceof CleanPathRedirect) {
        rec.status = 307
        redirectRaw(socket, v.location, rec.method)
        return rec.trace?.end(rec, false)
      }
      openTunnel({ req, client: socket, clientHead: head, admitted: v, pools, metrics, logger, record: rec })
    }
    try {
      const v = admit(req, rec)
      if (v instanceof Promise) {
        v.then(proceed, (e: unknown) => {
          logger.error({ err: e, path: rec.path }, 'upgrade handler failed')
          refuse(new ProxyError('FP_INTERNAL'))
        })
      } else proceed(v)
    } catch (e) {
      logger.error({ err: e, path: rec.path }, 'upgrade handler failed')
      refuse(new ProxyError('FP_INTERNAL'))
    }
  }
}
