import { X509Certificate } from 'node:crypto'

/** SHA-256 fingerprint of a PEM certificate's DER, lowercase hex without colons. */
export function fingerprint256(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase()
}
