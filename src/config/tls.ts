// Go TLS names (what upstream flags take) → the OpenSSL names Node's tls module takes.
// The server uses these helpers to build its secure context; validateOptions() uses
// them to reject names Node cannot honour instead of silently falling back.

import { createSecureContext } from 'node:tls'

const cipherSuites: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  // TLS 1.3 suites have the same names in OpenSSL; Go ignores them in this flag, Node applies them.
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
}

/** Go insecure suites (RC4, 3DES): OpenSSL 3 does not offer them, so they are refused by name. */
const insecureSuites = new Set([
  'TLS_RSA_WITH_RC4_128_SHA', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA',
  'TLS_ECDHE_RSA_WITH_RC4_128_SHA', 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA',
])

/** Go tls.CurveID names and numbers → OpenSSL group names. */
const curves: Readonly<Record<string, string>> = {
  CurveP256: 'P-256', '23': 'P-256',
  CurveP384: 'P-384', '24': 'P-384',
  CurveP521: 'P-521', '25': 'P-521',
  X25519: 'X25519', '29': 'X25519',
  X25519MLKEM768: 'X25519MLKEM768', '4588': 'X25519MLKEM768',
}

const versions: Readonly<Record<string, 'TLSv1.2' | 'TLSv1.3'>> = { VersionTLS12: 'TLSv1.2', VersionTLS13: 'TLSv1.3' }

export interface NodeTLSSettings {
  /** For tls `ciphers` (undefined = Node default). */
  ciphers?: string
  /** For tls `ecdhCurve` (undefined = Node default). */
  ecdhCurve?: string
  minVersion: 'TLSv1.2' | 'TLSv1.3'
}

/** Maps already-validated Go names; unknown names are skipped (validateOptions reports them). */
export function nodeTLSSettings(o: { tlsCipherSuites: string[]; tlsCurvePreferences: string[]; tlsMinVersion: string }): NodeTLSSettings {
  const ciphers = o.tlsCipherSuites.map((c) => cipherSuites[c]).filter((c): c is string => c !== undefined)
  const groups = o.tlsCurvePreferences.map((c) => curves[c]).filter((c): c is string => c !== undefined)
  return {
    ...(ciphers.length > 0 ? { ciphers: [...new Set(ciphers)].join(':') } : {}),
    ...(groups.length > 0 ? { ecdhCurve: [...new Set(groups)].join(':') } : {}),
    minVersion: versions[o.tlsMinVersion] ?? 'TLSv1.2',
  }
}

export function validateTLS(o: { tlsCipherSuites: string[]; tlsCurvePreferences: string[]; tlsMinVersion: string }): string[] {
  const errors: string[] = []
  for (const c of o.tlsCipherSuites) {
    if (insecureSuites.has(c)) errors.push(`--tls-cipher-suites: ${c} is an insecure cipher suite, not supported by this front-proxy`)
    else if (!(c in cipherSuites)) errors.push(`--tls-cipher-suites: unknown cipher suite ${JSON.stringify(c)} (known: ${Object.keys(cipherSuites).join(', ')})`)
  }
  for (const c of o.tlsCurvePreferences) {
    if (!(c in curves)) errors.push(`--tls-curve-preferences: unknown curve ${JSON.stringify(c)} (known: CurveP256, CurveP384, CurveP521, X25519, X25519MLKEM768)`)
  }
  if (o.tlsMinVersion === 'VersionTLS10' || o.tlsMinVersion === 'VersionTLS11') {
    errors.push(`--tls-min-version: ${o.tlsMinVersion} is not supported by this front-proxy (TLS 1.2 is the minimum)`)
  } else if (!(o.tlsMinVersion in versions)) {
    errors.push(`--tls-min-version: unknown version ${JSON.stringify(o.tlsMinVersion)} (allowed: VersionTLS12, VersionTLS13)`)
  }
  if (errors.length > 0) return errors
  // Known to us is not enough: the OpenSSL Node was built with must offer it (X25519MLKEM768 needs OpenSSL ≥ 3.5).
  const s = nodeTLSSettings(o)
  for (const curve of s.ecdhCurve?.split(':') ?? []) {
    try { createSecureContext({ ecdhCurve: curve }) } catch {
      errors.push(`--tls-curve-preferences: ${curve} is not available in this Node's OpenSSL (${process.versions.openssl})`)
    }
  }
  return errors
}
