// Backend TLS failure categories of upstream's kcp_listener_tls_connection_error (docs/upstream.md#backend-errors),
// mapped from Node/OpenSSL error codes. undefined = not a TLS error (not counted).
export type TLSErrorType = 'unknown_ca' | 'expired_cert' | 'hostname_mismatch' | 'cipher_mismatch' | 'other'

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE',
])
const CIPHER = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_NO_SHARED_CIPHER', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_UNSUPPORTED_PROTOCOL', 'ERR_SSL_PACKET_LENGTH_TOO_LONG'])

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code
  return typeof c === 'string' ? c : undefined
}

export function tlsErrorType(err: unknown): TLSErrorType | undefined {
  // undici sometimes wraps the socket error in `cause`.
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = codeOf(e)
    if (code === undefined) continue
    if (UNKNOWN_CA.has(code)) return 'unknown_ca'
    if (code === 'CERT_HAS_EXPIRED') return 'expired_cert'
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'hostname_mismatch'
    if (CIPHER.has(code)) return 'cipher_mismatch'
    if (code.startsWith('CERT_') || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'other'
  }
  return undefined
}

/** kcp_front_proxy_upstream_errors_total's kind for a failed backend request. */
export function upstreamErrorKind(err: unknown): 'tls' | 'connect' | 'reset' | 'other' {
  if (tlsErrorType(err) !== undefined) return 'tls'
  const code = codeOf(err) ?? ''
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return 'connect'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset'
  return 'other'
}

/** Counts a failed backend request (forwarded or tunnelled) in both metrics. */
export function recordUpstreamError(metrics: { tlsError(shard: string, type: string): void; upstreamError(shard: string, kind: string): void }, shard: string, err: unknown): void {
  const t = tlsErrorType(err)
  if (t !== undefined) metrics.tlsError(shard, t)
  metrics.upstreamError(shard, upstreamErrorKind(err))
}
