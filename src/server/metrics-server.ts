// The optional plain-HTTP metrics listener (--metrics-bind-address) for in-cluster scraping.
// Not authenticated by design: bind it to a pod-local address. Answers other than the metrics
// are Kubernetes Status bodies from the error catalogue; an internal error's text goes to the
// log, never to the (unauthenticated) client.
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { ProxyError, serializeStatus } from '../errors.js'
import type { HostPort } from '../config/types.js'
import { formatHost } from './address.js'

export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string
  close(): Promise<void>
}

function writeStatus(res: ServerResponse, e: ProxyError): void {
  res.writeHead(e.status, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' }).end(serializeStatus(e.toStatus()))
}

export async function startMetricsServer(listen: HostPort, registry: Registry, logger: Logger): Promise<MetricsServer> {
  const { host, port } = listen
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      writeStatus(res, new ProxyError('FP_NOT_FOUND'))
      return
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (e: unknown) => {
        logger.error({ err: e }, 'metrics listener: cannot collect the metrics')
        writeStatus(res, new ProxyError('FP_INTERNAL'))
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const addr = server.address()
  return {
    url: `http://${formatHost(host)}:${typeof addr === 'object' && addr !== null ? addr.port : port}/metrics`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
    },
  }
}
