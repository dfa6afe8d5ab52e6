// Client-certificate authentication (--client-ca-file), docs/upstream.md#global-authenticator: user = CN, groups = O,
// UID from OID 1.3.6.1.4.1.14677.1.1.1, extra credential-id = X509SHA256=<hex sha256(DER)>.
// TLS only *requests* certificates (upstream does too), so the chain is verified here,
// against a bundle that may be rotated at runtime.
import 'reflect-metadata'
import { createHash, type X509Certificate } from 'node:crypto'
import * as px509 from '@peculiar/x509'
import { LRUCache } from 'lru-cache'
import type { CABundle } from './ca-bundle.js'
import { AuthError, type AuthRequest, type Authenticator, type UserInfo } from './types.js'

const UID_OID = '1.3.6.1.4.1.14677.1.1.1'
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const EKU_ANY = '2.5.29.37.0'
const MAX_CHAIN = 10

function checkValidity(c: X509Certificate, now: number, role: string): void {
  if (now < Date.parse(c.validFrom)) throw new AuthError(`${role} certificate is not yet valid`)
  if (now > Date.parse(c.validTo)) throw new AuthError(`${role} certificate has expired or is not yet valid`)
}

// Go's x509.Verify with KeyUsages=[ClientAuth]: a certificate without an EKU extension
// allows any usage; one with it must list clientAuth or anyExtendedKeyUsage.
function checkClientAuthEKU(c: X509Certificate, role: string): void {
  const eku = c.keyUsage as string[] | undefined
  if (eku === undefined || eku.length === 0) return
  if (!eku.includes(EKU_CLIENT_AUTH) && !eku.includes(EKU_ANY)) {
    throw new AuthError(`${role} certificate is not valid for client authentication`)
  }
}

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey)
  } catch {
    return false
  }
}

/**
 * Verifies `chain` (leaf first, then optional intermediates as the client sent them) up to one
 * of `roots`. Intermediates must be CAs; every certificate on the path must be within its
 * validity window and allow client authentication. Throws AuthError.
 */
export function verifyClientChain(chain: readonly X509Certificate[], roots: readonly X509Certificate[], now = Date.now()): void {
  const leaf = chain[0]
  if (leaf === undefined) throw new AuthError('no client certificate')
  checkValidity(leaf, now, 'client')
  checkClientAuthEKU(leaf, 'client')
  const unused = chain.slice(1, MAX_CHAIN)
  let current = leaf
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    for (const root of roots) {
      if (signedBy(current, root)) {
        checkValidity(root, now, 'CA')
        return
      }
    }
    const i = unused.findIndex((c) => c.ca && signedBy(current, c))
    if (i < 0) break
    const next = unused[i]
    unused.splice(i, 1)
    checkValidity(next, now, 'intermediate')
    checkClientAuthEKU(next, 'intermediate')
    current = next
  }
  throw new AuthError('x509: certificate signed by unknown authority')
}

export function certificateCommonName(c: X509Certificate): string {
  return new px509.X509Certificate(new Uint8Array(c.raw)).subjectName.getField('CN')[0] ?? ''
}

/** The Kubernetes CommonNameUserConversion. */
export function userFromCertificate(leaf: X509Certificate): UserInfo {
  const name = new px509.X509Certificate(new Uint8Array(leaf.raw)).subjectName
  const cn = name.getField('CN')[0] ?? ''
  if (cn === '') throw new AuthError('x509: certificate has no common name')
  const user: UserInfo = {
    name: cn,
    groups: name.getField('O'),
    extra: { 'authentication.kubernetes.io/credential-id': ['X509SHA256=' + createHash('sha256').update(leaf.raw).digest('hex')] },
  }
  const uid = name.getField(UID_OID)[0]
  if (uid !== undefined && uid !== '') user.uid = uid
  return user
}

export function chainKey(chain: readonly X509Certificate[]): string {
  return chain.map((c) => c.fingerprint256).join('/')
}

export interface X509AuthenticatorOptions {
  bundle: CABundle
  /** Maps a verified leaf to a user (the x509 authenticator) or to null (not applicable). */
  name?: string
}

/**
 * The --client-ca-file authenticator. Verification results are cached per exact chain and
 * bundle generation for at most 60 s and never past the leaf's expiry: TLS keep-alive and
 * HTTP/2 make one client send many requests with the same chain, and a signature check per
 * request would dominate the proxy's cost.
 */
export class X509Authenticator implements Authenticator {
  readonly name = 'x509'
  readonly #bundle: CABundle
  readonly #cache = new LRUCache<string, UserInfo>({ max: 5_000, ttl: 60_000 })

  constructor(bundle: CABundle) {
    this.#bundle = bundle
  }

  // The server hands us the same chain array for every request of a TLS connection: an
  // identity-keyed entry skips even the fingerprinting on the hot path.
  readonly #byChain = new WeakMap<readonly X509Certificate[], { generation: number; user: UserInfo; until: number }>()

  /** The user of a chain this connection already proved, synchronously; undefined = ask authenticate(). */
  peek(req: AuthRequest): UserInfo | undefined {
    const fast = this.#byChain.get(req.peerCertificates)
    return fast !== undefined && fast.generation === this.#bundle.generation && Date.now() <= fast.until ? fast.user : undefined
  }

  async authenticate(req: AuthRequest): Promise<UserInfo | null> {
    const chain = req.peerCertificates
    const leaf = chain[0]
    if (leaf === undefined) return null
    const known = this.peek(req)
    if (known !== undefined) return known
    const now = Date.now()
    const generation = this.#bundle.generation
    const key = `${generation}|${chainKey(chain)}`
    const notAfter = Date.parse(leaf.validTo)
    let user = this.#cache.get(key)
    if (user === undefined || now > notAfter) {
      verifyClientChain(chain, this.#bundle.certs, now)
      user = userFromCertificate(leaf)
      this.#cache.set(key, user, { ttl: Math.max(1, Math.min(60_000, notAfter - now)) })
    }
    this.#byChain.set(chain, { generation, user, until: Math.min(now + 60_000, notAfter) })
    return user
  }
}
