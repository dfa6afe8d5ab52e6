// The server's own routes, answered by fastify outside the proxy pipeline as upstream's outer
// mux does: /livez and /readyz in the k8s healthz formats (health.ts), /metrics authorized
// (metrics-endpoint.ts).
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { ReadinessCheck } from '../controller/types.js'
import { peerCertificates } from '../proxy/peer.js'
import { renderHealth } from './health.js'
import { answerMetrics, type MetricsAuthorizer } from './metrics-endpoint.js'

/** /livez, /readyz, /metrics (exactly, or followed by `/` or `?`): the requests fastify gets. */
export function isServerPath(url: string): boolean {
  const c = url.charCodeAt(1)
  if (c !== 108 /* l */ && c !== 114 /* r */ && c !== 109 /* m */) return false
  for (const p of ['/livez', '/readyz', '/metrics']) {
    if (url.startsWith(p)) {
      const n = url.charCodeAt(p.length)
      return Number.isNaN(n) || n === 47 || n === 63
    }
  }
  return false
}

export interface ServerRoutes {
  /** /readyz's checks, the server's own first. */
  readyzChecks: () => ReadinessCheck[]
  registry: Registry
  authorizeMetrics?: MetricsAuthorizer | undefined
}

type Reply = { code(n: number): unknown; header(k: string, v: string): unknown; send(b: string): unknown }

export function registerServerRoutes(app: FastifyInstance, r: ServerRoutes): void {
  // Health: /livez only has `ping`; /readyz has the server's and the controller's checks.
  const livez = (sub: string, q: string) => renderHealth('livez', [{ name: 'ping', ok: true }], sub, q)
  const readyz = (sub: string, q: string) => renderHealth('readyz', r.readyzChecks(), sub, q)
  for (const [path, fn] of [['livez', livez], ['readyz', readyz]] as const) {
    const h = (sub: string) => (req: { url: string }, reply: Reply) => {
      const q = req.url.indexOf('?')
      const a = fn(sub, q < 0 ? '' : req.url.slice(q + 1))
      reply.code(a.status)
      reply.header('content-type', 'text/plain; charset=utf-8')
      reply.header('x-content-type-options', 'nosniff')
      reply.send(a.body)
    }
    // Any method, as Go's healthz handlers answer (upstream: `POST /livez` is 200).
    app.all(`/${path}`, h(''))
    app.all(`/${path}/:check`, (req, reply) => h((req.params as { check: string }).check)(req, reply))
  }
  app.get('/metrics', async (req, reply) => {
    const a = await answerMetrics(r.registry, r.authorizeMetrics, { headers: req.raw.headers, peerCertificates: peerCertificates(req.raw) })
    reply.code(a.status).header('content-type', a.contentType)
    if (a.status !== 200) reply.header('x-content-type-options', 'nosniff')
    return a.body
  })
}
