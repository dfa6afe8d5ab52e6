// Every answer the proxy itself produces is a Kubernetes Status (src/errors.ts), as the
// apiserver writes it: JSON, nosniff, Content-Length. kubectl prints its message.
import { ProxyError } from '../errors.js'
import type { Exchange, ProxyResponse } from './exchange.js'

export function writeStatus(res: ProxyResponse, err: ProxyError, extraHeaders?: Record<string, string>): number {
  const body = JSON.stringify(err.toStatus())
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  }
  res.writeHead(err.status, headers)
  res.end(body)
  return Buffer.byteLength(body)
}

export function writeError(ex: Exchange, err: ProxyError): void {
  if (ex.res.headersSent || ex.res.destroyed) {
    ex.res.destroy()
    return
  }
  ex.status = err.status
  ex.bytesOut += writeStatus(ex.res, err)
}
