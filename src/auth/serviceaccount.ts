// Service-account tokens (docs/upstream.md#global-authenticator): legacy (secret-based) and bound tokens signed by the
// shards' keys, with kcp's cluster claim. Optional lookup of the ServiceAccount (and Secret)
// through the root kubeconfig, like upstream's --service-account-lookup.
import { createHash, createPublicKey, timingSafeEqual, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'
import type { VerifiedToken } from './cache.js'
import type { TokenAuthenticator } from './bearer.js'
import type { JSONClient } from '../http/json-client.js'
import { AuthError, type UserInfo } from './types.js'

export const LEGACY_ISSUER = 'kubernetes/serviceaccount'
export const DEFAULT_SA_ISSUER = 'https://kcp.default.svc'
export const CLUSTER_NAME_EXTRA = 'authentication.kcp.io/cluster-name'
const LEGACY = 'kubernetes.io/serviceaccount/'
const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g

export interface SAKey {
  key: KeyObject
  /** k8s keyIDFromPublicKey: base64url(sha256(PKIX DER)). */
  kid: string
  algorithms: string[]
}

/** Public keys from PEM files: public keys, RSA public keys, certificates and private keys (like keyutil). */
export function loadSAKeys(files: readonly string[]): SAKey[] {
  const keys: SAKey[] = []
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new Error(`${file}: cannot read service account key file: ${(err as Error).message}`)
    }
    const blocks = [...text.matchAll(PEM_BLOCK)]
    let found = 0
    for (const [pem, type] of blocks) {
      let key: KeyObject
      try {
        key = type === 'CERTIFICATE' ? new X509Certificate(pem).publicKey : createPublicKey(pem)
      } catch (err) {
        throw new Error(`${file}: PEM block ${type} is not a usable key: ${(err as Error).message}`)
      }
      const kt = key.asymmetricKeyType
      const algorithms = kt === 'rsa' ? ['RS256', 'RS384', 'RS512'] : kt === 'ec' ? ['ES256', 'ES384', 'ES512'] : []
      if (algorithms.length === 0) throw new Error(`${file}: unsupported key type ${kt}`)
      const der = key.export({ type: 'spki', format: 'der' })
      keys.push({ key, kid: createHash('sha256').update(der).digest('base64url'), algorithms })
      found++
    }
    if (found === 0) throw new Error(`${file}: no PEM public key or certificate found`)
  }
  return keys
}

interface SAClaims {
  namespace: string
  name: string
  uid: string
  secretName?: string
  cluster?: string
  podName?: string
  podUID?: string
  nodeName?: string
  nodeUID?: string
  jti?: string
  legacy: boolean
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {})

/** Extracts the service-account claims; throws AuthError if incomplete. */
export function saClaims(p: JWTPayload, legacy: boolean): SAClaims {
  let c: SAClaims
  if (legacy) {
    c = {
      legacy,
      namespace: str(p[LEGACY + 'namespace']) ?? '',
      name: str(p[LEGACY + 'service-account.name']) ?? '',
      uid: str(p[LEGACY + 'service-account.uid']) ?? '',
    }
    const secret = str(p[LEGACY + 'secret.name'])
    if (secret === undefined) throw new AuthError('serviceaccount: token missing secret name claim')
    c.secretName = secret
    const cluster = str(p[LEGACY + 'clusterName'])
    if (cluster !== undefined) c.cluster = cluster
  } else {
    const k = obj(p['kubernetes.io'])
    const sa = obj(k.serviceaccount)
    c = { legacy, namespace: str(k.namespace) ?? '', name: str(sa.name) ?? '', uid: str(sa.uid) ?? '' }
    const set = (field: 'secretName' | 'cluster' | 'podName' | 'podUID' | 'nodeName' | 'nodeUID' | 'jti', v: unknown) => {
      const s = str(v)
      if (s !== undefined) c[field] = s
    }
    set('cluster', k.clusterName)
    set('secretName', obj(k.secret).name)
    set('podName', obj(k.pod).name)
    set('podUID', obj(k.pod).uid)
    set('nodeName', obj(k.node).name)
    set('nodeUID', obj(k.node).uid)
    set('jti', p.jti)
  }
  if (c.namespace === '' || c.name === '' || c.uid === '') throw new AuthError('serviceaccount: token missing namespace, name or uid claim')
  if (p.sub !== undefined && p.sub !== `system:serviceaccount:${c.namespace}:${c.name}`) throw new AuthError('serviceaccount: sub claim does not match')
  return c
}

export function saUser(c: SAClaims): UserInfo {
  const extra: Record<string, string[]> = {}
  if (c.cluster !== undefined) extra[CLUSTER_NAME_EXTRA] = [c.cluster]
  if (c.podName !== undefined) extra['authentication.kubernetes.io/pod-name'] = [c.podName]
  if (c.podUID !== undefined) extra['authentication.kubernetes.io/pod-uid'] = [c.podUID]
  if (c.nodeName !== undefined) extra['authentication.kubernetes.io/node-name'] = [c.nodeName]
  if (c.nodeUID !== undefined) extra['authentication.kubernetes.io/node-uid'] = [c.nodeUID]
  if (c.jti !== undefined) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`]
  return {
    name: `system:serviceaccount:${c.namespace}:${c.name}`,
    uid: c.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${c.namespace}`],
    extra,
  }
}

/** `<root server>` without a trailing `/clusters/<x>` (root kubeconfigs often point at /clusters/root). */
export function rootBase(server: URL): string {
  const path = server.pathname.replace(/\/clusters\/[^/]+\/?$/, '').replace(/\/$/, '')
  return server.origin + path
}

export interface ServiceAccountOptions {
  keys: SAKey[]
  issuers: string[]
  audiences: string[]
  /** Set when --service-account-lookup is on: a client for the root kubeconfig. */
  lookup?: { client: JSONClient; server: URL }
}

export class ServiceAccountAuthenticator implements TokenAuthenticator {
  readonly name = 'serviceaccount'
  readonly #o: ServiceAccountOptions
  readonly #issuers: ReadonlySet<string>

  constructor(o: ServiceAccountOptions) {
    if (o.keys.length === 0) throw new Error('service account authentication needs at least one key')
    this.#o = o
    this.#issuers = new Set(o.issuers)
  }

  async verifyToken(token: string): Promise<VerifiedToken | null> {
    let iss: unknown
    let kid: unknown
    try {
      iss = decodeJwt(token).iss
      kid = decodeProtectedHeader(token).kid
    } catch {
      return null
    }
    const legacy = iss === LEGACY_ISSUER
    if (!legacy && !(typeof iss === 'string' && this.#issuers.has(iss))) return null
    const payload = await this.#verifySignature(token, kid, legacy)
    const claims = saClaims(payload, legacy)
    if (this.#o.lookup !== undefined) await this.#lookup(claims, token)
    return { user: saUser(claims), method: this.name, ...(payload.exp !== undefined ? { expiresAt: payload.exp * 1000 } : {}) }
  }

  async #verifySignature(token: string, kid: unknown, legacy: boolean): Promise<JWTPayload> {
    // Try the key named by kid first, then the others (k8s tries every key).
    const keys = [...this.#o.keys].sort((a, b) => Number(b.kid === kid) - Number(a.kid === kid))
    let last: unknown
    for (const k of keys) {
      try {
        const { payload } = await jwtVerify(token, k.key, {
          algorithms: k.algorithms,
          clockTolerance: 30,
          ...(legacy ? {} : { issuer: [...this.#issuers], audience: this.#o.audiences, requiredClaims: ['exp'] }),
        })
        return payload
      } catch (err) {
        last = err
        if (!(err instanceof joseErrors.JWSSignatureVerificationFailed) && !(err instanceof joseErrors.JOSEAlgNotAllowed)) break
      }
    }
    if (last instanceof joseErrors.JOSEError) throw new AuthError(`serviceaccount: ${last.code}: ${last.message}`)
    throw new AuthError('serviceaccount: invalid token')
  }

  async #lookup(c: SAClaims, token: string): Promise<void> {
    const { client, server } = this.#o.lookup!
    if (c.cluster === undefined) throw new AuthError('serviceaccount: token has no cluster claim, cannot look it up')
    const base = `${rootBase(server)}/clusters/${encodeURIComponent(c.cluster)}/api/v1/namespaces/${encodeURIComponent(c.namespace)}`
    const sa = await getObject(client, `${base}/serviceaccounts/${encodeURIComponent(c.name)}`, `serviceaccount ${c.namespace}/${c.name}`)
    if (obj(sa.metadata).uid !== c.uid) throw new AuthError(`serviceaccount ${c.namespace}/${c.name}: uid does not match (recreated)`)
    if (obj(sa.metadata).deletionTimestamp !== undefined) throw new AuthError(`serviceaccount ${c.namespace}/${c.name} is being deleted`)
    if (c.secretName !== undefined) {
      const secret = await getObject(client, `${base}/secrets/${encodeURIComponent(c.secretName)}`, `secret ${c.namespace}/${c.secretName}`)
      if (obj(secret.metadata).deletionTimestamp !== undefined) throw new AuthError(`secret ${c.namespace}/${c.secretName} is being deleted`)
      if (c.legacy) {
        const stored = Buffer.from(str(obj(secret.data).token) ?? '', 'base64')
        const given = Buffer.from(token)
        if (stored.length !== given.length || !timingSafeEqual(stored, given)) throw new AuthError(`secret ${c.namespace}/${c.secretName}: token does not match`)
      }
    }
  }
}

async function getObject(client: JSONClient, url: string, what: string): Promise<Record<string, unknown>> {
  let res
  try {
    res = await client.send('GET', url)
  } catch (err) {
    throw new AuthError(`${what}: lookup failed: ${(err as Error).message}`)
  }
  if (res.status === 404) throw new AuthError(`${what} not found`)
  if (res.status !== 200) throw new AuthError(`${what}: lookup failed: HTTP ${res.status}`)
  return obj(res.body)
}
