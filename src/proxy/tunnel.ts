// One upgrade's exchange with the shard (upgrade.ts says why it is shaped this way): a fresh
// HTTP/1.1 TLS connection, the admitted request head, then either a byte tunnel (a 101 with the
// protocol the client asked for) or a relayed refusal after which both connections close.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { ProxyError } from '../errors.js'
import type { Admitted } from './admission.js'
import type { BackendPools } from './backends.js'
import { responseHeaders } from './headers.js'
import type { ProxyMetrics } from './metrics.js'
import { finish, prettyFor, rejectRaw } from './respond.js'
import { recordUpstreamError } from './tls-errors.js'

/** How long the shard may take to answer an upgrade request (101 or otherwise). */
export const UPGRADE_RESPONSE_TIMEOUT_MS = 60_000

/** What the tunnel reports for the upgrade's log line and metrics. */
export interface TunnelRecord {
  shard: string
  path: string
  status: number
  bytesOut: number
  error: string | undefined
}

/** The comma-separated protocols an Upgrade header names, lowercased. */
export function upgradeTokens(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')
}

function headLines(status: number, message: string, headers: Record<string, string | string[]> | readonly string[]): string {
  let s = `HTTP/1.1 ${status} ${message}\r\n`
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`
  } else {
    for (const [k, v] of Object.entries(headers)) for (const x of Array.isArray(v) ? v : [v]) s += `${k}: ${x}\r\n`
  }
  return s
}

export interface TunnelOptions {
  req: IncomingMessage
  client: Duplex
  /** Bytes the client sent after the request head: held until the shard said 101. */
  clientHead: Buffer
  admitted: Admitted
  pools: BackendPools
  metrics: ProxyMetrics
  logger: Logger
  record: TunnelRecord
}

export function openTunnel(o: TunnelOptions): void {
  const { req, client, admitted, pools, metrics, logger, record } = o
  const { target } = admitted
  const requested = upgradeTokens(req.headers.upgrade)
  const failed = (err: Error, what: string): void => {
    recordUpstreamError(metrics, target.shard, err)
    const code = (err as { code?: string }).code ?? err.message
    record.error = `${what}: ${code}`
    logger.warn({ err, path: record.path, shard: target.shard }, `upgrade: ${what}`)
    rejectRaw(client, new ProxyError('FP_BAD_GATEWAY', `error trying to reach the backend: ${code}`), prettyFor(req))
  }
  pools.connectTunnel(target.mapping.fingerprint, target.mapping.tls, target.origin, (err, backend) => {
    if (err !== null || backend === null) return failed(err ?? new Error('no connection'), 'backend connection failed')
    if (client.destroyed) return void backend.destroy()
    exchange(o, backend, requested, failed)
  })
}

function exchange(o: TunnelOptions, backend: Socket, requested: string[], failed: (err: Error, what: string) => void): void {
  const { req, client, clientHead, admitted, metrics, logger, record } = o
  let answered = false
  client.once('close', () => backend.destroy())
  // The request this IS: hop-by-hop stripping removed these, as in Go's ReverseProxy.
  const headers = { ...admitted.headers, connection: 'Upgrade', upgrade: req.headers.upgrade }
  const out = httpRequest({ createConnection: () => backend, method: req.method, path: admitted.target.path, headers: headers as Record<string, string | string[]>, setHost: false })
  out.setTimeout(UPGRADE_RESPONSE_TIMEOUT_MS, () => {
    if (answered) return
    answered = true
    record.error = 'upgrade: the shard did not answer in time'
    rejectRaw(client, new ProxyError('FP_GATEWAY_TIMEOUT', `the shard did not answer the upgrade within ${UPGRADE_RESPONSE_TIMEOUT_MS / 1000}s`), prettyFor(req))
    out.destroy()
  })
  out.on('error', (err) => {
    if (answered) {
      client.destroy()
      return
    }
    answered = true
    failed(err, 'backend request failed')
  })
  out.on('upgrade', (res: IncomingMessage, sock: Duplex, head: Buffer) => {
    answered = true
    const got = String(res.headers.upgrade ?? '').trim().toLowerCase()
    if (res.statusCode !== 101 || !requested.includes(got)) {
      // Go's ReverseProxy: "backend tried to switch protocol %q when %q was requested" → 502.
      sock.destroy()
      record.error = `upgrade: the shard switched to ${JSON.stringify(got)}, not ${JSON.stringify(requested.join(', '))}`
      rejectRaw(client, new ProxyError('FP_BAD_GATEWAY', `the backend tried to switch to ${JSON.stringify(got)} when ${JSON.stringify(String(req.headers.upgrade))} was requested`), prettyFor(req))
      return
    }
    // The response timeout was for the answer; a tunnel may be quiet for as long as it likes.
    backend.setTimeout(0)
    record.status = 101
    client.write(headLines(101, res.statusMessage ?? 'Switching Protocols', res.rawHeaders) + '\r\n')
    if (head.length > 0) client.write(head)
    // Only now may the client's bytes reach the shard.
    if (clientHead.length > 0) sock.write(clientHead)
    metrics.activeTunnels.inc()
    sock.once('close', () => {
      metrics.activeTunnels.dec()
      client.destroy()
    })
    sock.on('error', () => sock.destroy())
    sock.pipe(client)
    client.pipe(sock)
    logger.debug({ path: record.path, shard: record.shard }, 'upgrade: tunnel open')
  })
  out.on('response', (res: IncomingMessage) => {
    answered = true
    // A normal answer to an upgrade request: relay it, then close both sides.
    record.status = res.statusCode ?? 502
    const h = responseHeaders(res.rawHeaders)
    h.connection = 'close'
    client.write(headLines(record.status, res.statusMessage ?? '', h) + '\r\n')
    res.on('data', (c: Buffer) => (record.bytesOut += c.length))
    res.pipe(client, { end: false })
    res.once('end', () => {
      backend.destroy()
      finish(client)
    })
    res.once('error', () => {
      backend.destroy()
      client.destroy()
    })
  })
  out.end()
}
