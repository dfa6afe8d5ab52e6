// Serving certificate (docs/upstream.md#flags): --tls-cert-file/--tls-private-key-file, else
// <cert-dir>/apiserver.{crt,key}, else a freshly generated self-signed CA + serving cert
// written there (k8s MaybeDefaultWithSelfSignedCerts); and the --tls-sni-cert-key certificates.
// Rotation on disk is cert-reload.ts's job.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import type { Logger } from 'pino'
import { createCA } from '../pki/index.js'
import type { SecureServingOptions } from '../config/types.js'

export interface ServingCert {
  cert: string
  key: string
  /** Files to watch for rotation (empty for nothing to watch). */
  files: string[]
  /** Where it came from, for the startup log. */
  source: 'flags' | 'cert-dir' | 'generated'
}

const SELF_SIGNED_DNS = ['localhost', 'kubernetes.default.svc', 'kubernetes.default', 'kubernetes']

/** Throws unless `cert` and `key` parse: at startup a clear message beats a failing first handshake. */
export function checkPair(cert: string, key: string): { cert: string; key: string } {
  new X509Certificate(cert)
  createPrivateKey(key)
  return { cert, key }
}

async function readPair(certFile: string, keyFile: string): Promise<{ cert: string; key: string }> {
  const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')])
  return checkPair(cert, key)
}

/** Generates a self-signed CA and a serving certificate for localhost (PEM: leaf then CA). */
export async function generateSelfSigned(host = 'localhost'): Promise<{ cert: string; key: string; caCert: string }> {
  const ca = await createCA(`${host}-ca@${Math.floor(Date.now() / 1000)}`)
  const leaf = await ca.issue({ commonName: `${host}@${Math.floor(Date.now() / 1000)}`, usage: 'server', dnsNames: SELF_SIGNED_DNS, ipAddresses: ['127.0.0.1'] })
  // Leaf first, then the CA, so clients that only trust the CA can verify the chain.
  return { cert: `${leaf.cert.trimEnd()}\n${ca.cert.trimEnd()}\n`, key: leaf.key, caCert: ca.cert }
}

export async function resolveServingCert(o: SecureServingOptions, logger: Logger): Promise<ServingCert> {
  if (o.tlsCertFile !== '' || o.tlsPrivateKeyFile !== '') {
    const pair = await readPair(o.tlsCertFile, o.tlsPrivateKeyFile)
    return { ...pair, files: [o.tlsCertFile, o.tlsPrivateKeyFile], source: 'flags' }
  }
  const certFile = join(o.certDir, 'apiserver.crt')
  const keyFile = join(o.certDir, 'apiserver.key')
  try {
    const pair = await readPair(certFile, keyFile)
    return { ...pair, files: [certFile, keyFile], source: 'cert-dir' }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot use ${certFile}/${keyFile}: ${(e as Error).message}`)
  }
  const gen = await generateSelfSigned()
  await mkdir(dirname(certFile), { recursive: true, mode: 0o700 })
  await writeFile(certFile, gen.cert, { mode: 0o644 })
  await writeFile(keyFile, gen.key, { mode: 0o600 })
  logger.info({ certFile, keyFile }, 'generated a self-signed serving certificate')
  return { cert: gen.cert, key: gen.key, files: [certFile, keyFile], source: 'generated' }
}

export interface SniEntry {
  certFile: string
  keyFile: string
  domains: string[]
}

/**
 * --tls-sni-cert-key: one certificate per set of server names. Without explicit domains the
 * certificate's DNS SANs (else its CN) are used, as the k8s library does. Returns a
 * name → PEM pair map; `*.example.com` entries match one label.
 */
export async function loadSniCerts(entries: readonly SniEntry[]): Promise<Map<string, { cert: string; key: string }>> {
  const out = new Map<string, { cert: string; key: string }>()
  for (const e of entries) {
    const pair = await readPair(e.certFile, e.keyFile)
    let names = e.domains
    if (names.length === 0) {
      const x = new X509Certificate(pair.cert)
      names = (x.subjectAltName ?? '')
        .split(', ')
        .filter((s) => s.startsWith('DNS:'))
        .map((s) => s.slice(4))
      if (names.length === 0) {
        const cn = /CN=([^\n,]+)/.exec(x.subject)?.[1]
        if (cn !== undefined) names = [cn]
      }
    }
    // Earlier entries win, like the k8s library's name→cert map.
    for (const n of names) if (!out.has(n.toLowerCase())) out.set(n.toLowerCase(), pair)
  }
  return out
}

/** Exact name first, then the wildcard for its parent domain. */
export function matchSni<T>(map: ReadonlyMap<string, T>, servername: string): T | undefined {
  const name = servername.toLowerCase()
  const exact = map.get(name)
  if (exact !== undefined) return exact
  const dot = name.indexOf('.')
  return dot < 0 ? undefined : map.get(`*${name.slice(dot)}`)
}
