// Upgrades (exec, attach, port-forward over SPDY or WebSocket; spec §6.6). We never
// terminate the upgraded protocol: after the same routing, authentication and identity
// stamping as any request (pipeline.ts order), we open an HTTP/1.1-only TLS connection to
// the backend with the mapping's client certificate, write the request head, and from
// then on copy raw bytes both ways. The backend's 101 (or its refusal) reaches the client
// verbatim. Either side failing closes both.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { isIP } from 'node:net'
import type { Logger } from 'pino'
import { applyIdentityHeaders } from '../auth/headers.js'
import type { UserInfo } from '../auth/types.js'
import type { RoutingIndex } from '../index/types.js'
import { ProxyError } from '../errors.js'
import { forwardRequestHeaders, serializeRequestHead } from './headers.js'
import type { ProxyMetrics } from './metrics.js'
import { pathHygieneError, splitURL } from './paths.js'
import { authRequestOf, peerCertificates } from './peer.js'
import type { RequestAuthenticator } from './pipeline.js'
import { route, type RouteTable, type Target } from './router.js'
import { inClusterServiceAccountPath } from './sa-rewrite.js'
import { tlsErrorType } from './tls-errors.js'

export interface UpgradeDeps {
  routes(): RouteTable
  index: RoutingIndex
  authenticator: RequestAuthenticator | undefined
  /** See PipelineDeps.additionalAuth. */
  additionalAuth: boolean
  metrics: ProxyMetrics
  logger: Logger
  /** Open tunnels, so shutdown can close them. */
  tunnels: Set<Duplex>
}

/** Writes a Status as a raw HTTP/1.1 response on a not-yet-upgraded socket, then closes it. */
function rejectRaw(socket: Duplex, err: ProxyError): void {
  const body = JSON.stringify(err.toStatus())
  socket.end(
    `HTTP/1.1 ${err.status} ${err.reason}\r\ncontent-type: application/json\r\nx-content-type-options: nosniff\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  )
}

export function createUpgradeHandler(deps: UpgradeDeps): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { index, authenticator, additionalAuth, metrics, logger, tunnels } = deps

  function open(req: IncomingMessage, socket: Duplex, head: Buffer, target: Target, user: UserInfo | undefined): void {
    const headers = forwardRequestHeaders(req.headers, req.socket.remoteAddress)
    applyIdentityHeaders(headers, target.mapping.headers, user)
    // Re-add what hop-by-hop stripping removed: this request IS the upgrade (Go ReverseProxy does the same).
    headers.connection = 'Upgrade'
    headers.upgrade = req.headers.upgrade
    const u = new URL(target.origin)
    const host = u.hostname.replace(/^\[|\]$/g, '')
    const tls = target.mapping.tls
    const backend: TLSSocket = tlsConnect({
      host,
      port: Number(u.port || 443),
      servername: isIP(host) === 0 ? host : undefined,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      // SPDY and WebSocket upgrades exist only in HTTP/1.1.
      ALPNProtocols: ['http/1.1'],
    })
    let open = false
    const close = (err?: Error): void => {
      if (err !== undefined && !open) {
        const t = tlsErrorType(err)
        if (t !== undefined) metrics.tlsError(target.shard, t)
        metrics.upstreamError(target.shard, t !== undefined ? 'tls' : 'connect')
        logger.warn({ err, path: req.url, shard: target.shard }, 'upgrade: backend connection failed')
        if (socket.writable) rejectRaw(socket, new ProxyError('FP_BAD_GATEWAY', `error trying to reach the backend: ${(err as { code?: string }).code ?? err.message}`))
      }
      backend.destroy()
      socket.destroy()
    }
    backend.once('error', close)
    socket.once('error', close)
    backend.once('secureConnect', () => {
      open = true
      tunnels.add(socket)
      metrics.activeTunnels.inc()
      socket.once('close', () => {
        tunnels.delete(socket)
        metrics.activeTunnels.dec()
      })
      backend.write(serializeRequestHead(req.method ?? 'GET', target.path, headers))
      if (head.length > 0) backend.write(head)
      backend.pipe(socket)
      socket.pipe(backend)
      backend.once('close', () => socket.destroy())
      socket.once('close', () => backend.destroy())
      logger.info({ method: req.method, path: splitURL(req.url ?? '/').path, shard: target.shard, cluster: target.cluster, user: user?.name ?? '', upgrade: req.headers.upgrade }, 'upgrade')
    })
  }

  return function onUpgrade(req, socket, head) {
    socket.on('error', () => socket.destroy())
    try {
      const { path: rawPath, query } = splitURL(req.url ?? '/')
      const bad = pathHygieneError(rawPath)
      if (bad !== undefined) return rejectRaw(socket, new ProxyError('FP_BAD_REQUEST', bad))
      const h = req.headers
      const path = inClusterServiceAccountPath(rawPath, h.authorization, h['x-kubernetes-sharded-request']) ?? rawPath
      const target = route(deps.routes(), index, req.method ?? 'GET', path, query)
      if (target instanceof ProxyError) return rejectRaw(socket, target)
      const certs = authenticator === undefined ? undefined : peerCertificates(req)
      if (authenticator === undefined || certs === undefined || (!additionalAuth && certs.length === 0)) return open(req, socket, head, target, undefined)
      authenticator.authenticate(authRequestOf(req, certs)).then(
        (d) => {
          if (d.kind === 'unauthorized') return rejectRaw(socket, new ProxyError('FP_UNAUTHORIZED'))
          open(req, socket, head, target, d.kind === 'user' ? d.user : undefined)
        },
        (e: unknown) => {
          logger.warn({ err: e }, 'Unable to authenticate the request')
          rejectRaw(socket, new ProxyError('FP_UNAUTHORIZED'))
        },
      )
    } catch (e) {
      logger.error({ err: e }, 'upgrade handler failed')
      rejectRaw(socket, new ProxyError('FP_INTERNAL'))
    }
  }
}
