// fastify, with the Node server made by listener.ts (fastify's serverFactory). fastify owns only
// /livez, /readyz and /metrics (routes.ts); every other request goes from the Node server
// straight to the proxy's request path, because upstream keeps health and metrics outside the
// proxy chain and because fastify's router, body parsing and Reply objects would only add cost
// to a path that must stream raw bytes.
import type { Server as HttpServer } from 'node:http'
import type { Http2ServerRequest, IncomingHttpHeaders } from 'node:http2'
import Fastify, { type FastifyInstance } from 'fastify'
import { createListener, type AnyReq, type AnyRes, type Listener, type ListenerOptions } from './listener.js'
import type { RequestPath } from './request-pipeline.js'
import { plainStream } from '../proxy/h2-stream.js'
import { isServerPath } from './routes.js'

export interface AppOptions {
  /** Everything createListener needs but the request handlers. */
  listener: Omit<ListenerOptions, 'onRequest' | 'onUpgrade'>
  requests: RequestPath
  /** Probability of closing an HTTP/2 session after a response (extra.goawayChance). */
  goawayChance: number
}

const noop = (): void => undefined

export function createApp(o: AppOptions): { app: FastifyInstance; listener: Listener } {
  const { requests, goawayChance: goaway } = o
  let listener: Listener | undefined
  // fastify's option types cannot express "h2 with an h1 fallback via serverFactory"; the shape below is checked at runtime by fastify.
  const createFastify = Fastify as unknown as (o: object) => FastifyInstance
  const app = createFastify({
    // Health/metrics requests are not worth a log line each; proxy requests are logged by the pipeline.
    logger: false,
    ...(o.listener.http2 ? { http2: true as const, https: { allowHTTP1: true } } : { https: {} }),
    // The listener answers what Node's HTTP/1.1 parser refuses (connection-limits.ts); a second
    // answer on the same socket would be a write after end.
    clientErrorHandler: noop,
    serverFactory: (fastifyHandler: (req: AnyReq, res: AnyRes) => void) => {
      const onRequest = (req: AnyReq, res: AnyRes): void => {
        const url = req.url ?? '/'
        if (isServerPath(url)) {
          fastifyHandler(req, res)
          return
        }
        // Probabilistic GOAWAY: long-lived h2 connections move to other replicas over time.
        if (goaway > 0 && req.httpVersionMajor === 2 && Math.random() < goaway) {
          const session = (req as Http2ServerRequest).stream.session
          if (session !== undefined) res.once('finish', () => session.close())
        }
        requests.handle(req, res)
      }
      // Plain HTTP/2 requests to the proxy skip Node's compatibility layer (h2-stream.ts); fastify's
      // routes need its objects.
      const coreStream = (h: IncomingHttpHeaders): boolean => plainStream(h) && !isServerPath(h[':path'] ?? '/')
      listener = createListener({ ...o.listener, onRequest, onUpgrade: requests.onUpgrade, coreStream })
      return listener.server as unknown as HttpServer
    },
  })
  // fastify calls serverFactory while it is being constructed.
  if (listener === undefined) throw new Error('fastify did not call serverFactory')
  return { app, listener }
}
