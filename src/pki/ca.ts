// Certificate minting for the emulator, the demo mode, the self-signed serving
// certificate and tests. ECDSA P-256: fast to generate, accepted by Go and Node.
import 'reflect-metadata'
import { webcrypto, randomBytes } from 'node:crypto'
import * as x509 from '@peculiar/x509'

type CryptoKey = webcrypto.CryptoKey

// @peculiar/x509 is typed against the DOM's Crypto; Node's webcrypto is the same API.
x509.cryptoProvider.set(webcrypto as never)

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const DAY = 86_400_000

export interface KeyPair {
  /** PEM-encoded certificate. */
  cert: string
  /** PEM-encoded PKCS#8 private key. */
  key: string
}

export interface CertificateAuthority extends KeyPair {
  /** Issues a certificate signed by this CA. */
  issue(options: IssueOptions): Promise<KeyPair>
}

export interface IssueOptions {
  commonName: string
  /** Organisations (O=): Kubernetes maps them to groups. */
  organizations?: string[]
  dnsNames?: string[]
  ipAddresses?: string[]
  /** `server`, `client` or both (default both). */
  usage?: 'server' | 'client' | 'both'
  notBefore?: Date
  notAfter?: Date
}

function escapeRdn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1')
}

function subject(cn: string, orgs: string[] = []): string {
  return [...orgs.map((o) => `O=${escapeRdn(o)}`), `CN=${escapeRdn(cn)}`].join(', ')
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key)
  return x509.PemConverter.encode(der, 'PRIVATE KEY')
}

function serial(): string {
  // Positive, non-zero, 16 bytes.
  const b = randomBytes(16)
  b[0] = (b[0] & 0x7f) | 0x01
  return b.toString('hex')
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0]
  return webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign'])
}

/** Creates a self-signed CA. */
export async function createCA(commonName: string, validDays = 365): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']))
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject(commonName),
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + validDays * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  const pair = { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) }
  return caFromPair(pair)
}

/** Wraps an existing CA key pair (PEM) so it can issue certificates. */
export function caFromPair(pair: KeyPair): CertificateAuthority {
  return { ...pair, issue: (o) => issueCertificate(pair, o) }
}

export async function issueCertificate(ca: KeyPair, o: IssueOptions): Promise<KeyPair> {
  const caCert = new x509.X509Certificate(ca.cert)
  const caKey = await importKey(ca.key)
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']))
  const usage = o.usage ?? 'both'
  const eku: string[] = []
  if (usage !== 'client') eku.push(x509.ExtendedKeyUsage.serverAuth)
  if (usage !== 'server') eku.push(x509.ExtendedKeyUsage.clientAuth)
  const san: x509.JsonGeneralName[] = [
    ...(o.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ]
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ]
  if (san.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(san, false))
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject(o.commonName, o.organizations),
    issuer: caCert.subject,
    notBefore: o.notBefore ?? new Date(Date.now() - 3_600_000),
    notAfter: o.notAfter ?? new Date(Date.now() + 365 * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  })
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) }
}

/** Convenience: a server certificate for loopback use (localhost, 127.0.0.1, ::1). */
export function issueLoopbackServerCert(ca: CertificateAuthority, commonName = 'localhost', extraDNS: string[] = []): Promise<KeyPair> {
  return ca.issue({ commonName, usage: 'server', dnsNames: ['localhost', ...extraDNS], ipAddresses: ['127.0.0.1', '::1'] })
}
