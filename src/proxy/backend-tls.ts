// The TLS identity a mapping presents to its backend, and the key the backend pools are kept
// under. Its own module so the mapping parser and the pools both depend on it, not on each other.
import { createHash } from 'node:crypto'

export interface BackendTLS {
  /** PEM of backend_server_ca: the only roots trusted for the backend (no system roots, as upstream). */
  ca: string
  cert: string
  key: string
}

/** Same CA, certificate and key → same pools; a reloaded mapping with new files gets new ones. */
export function tlsFingerprint(tls: BackendTLS): string {
  return createHash('sha256').update(tls.ca).update('\0').update(tls.cert).update('\0').update(tls.key).digest('hex')
}
