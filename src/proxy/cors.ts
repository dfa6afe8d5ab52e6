// k8s WithCORS (docs/upstream.md#kubernetes): origins are unanchored Go regexps; a matching Origin gets the
// apiserver's fixed CORS headers, and its preflight OPTIONS is answered 204 here.
import { isCoreStream, type ProxyRequest, type ProxyResponse } from './exchange.js'

const ALLOW_METHODS = 'POST, GET, OPTIONS, PUT, DELETE, PATCH'
const ALLOW_HEADERS = 'Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, X-Requested-With, If-Modified-Since'

export type CorsCheck = (req: ProxyRequest, res: ProxyResponse) => boolean

/** Returns undefined when CORS is disabled, else a step returning true when it answered the request. */
export function compileCors(origins: readonly RegExp[]): CorsCheck | undefined {
  if (origins.length === 0) return undefined
  const res = origins
  return function cors(req, reply) {
    const origin = req.headers.origin
    if (origin === undefined || !res.some((r) => r.test(origin))) return false
    // Unreachable: a request with Origin never takes the HTTP/2 core path (h2-stream.ts plainStream()).
    if (isCoreStream(reply)) return false
    reply.setHeader('Access-Control-Allow-Origin', origin)
    reply.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS)
    reply.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS)
    reply.setHeader('Access-Control-Expose-Headers', 'Date')
    reply.setHeader('Access-Control-Allow-Credentials', 'true')
    if (req.method !== 'OPTIONS') return false
    reply.writeHead(204)
    reply.end()
    return true
  }
}
