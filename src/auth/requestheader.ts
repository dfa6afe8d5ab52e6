// Requestheader authentication (docs/upstream.md#global-authenticator, kcp PR#4238): a front proxy in front of us (e.g. the
// mounts proxy re-entering) asserts the user in headers. Headers are believed only when the
// peer chain verifies against --requestheader-client-ca-file and the leaf's CN is allowed;
// otherwise this authenticator does not apply and the next one (x509) gets the request.
import type { X509Certificate } from 'node:crypto'
import type { CABundle } from './ca-bundle.js'
import { certificateCommonName, chainKey, verifyClientChain } from './x509.js'
import { type AuthRequest, type Authenticator, type UserInfo } from './types.js'
import { LRUCache } from 'lru-cache'

export interface RequestHeaderConfig {
  usernameHeaders: string[]
  uidHeaders: string[]
  groupHeaders: string[]
  extraHeaderPrefixes: string[]
  allowedNames: string[]
}

/** Every value of a header, unjoined when the request offers that. */
export function headerValues(req: AuthRequest, name: string): string[] {
  const lower = name.toLowerCase()
  const distinct = req.headersDistinct?.[lower]
  if (distinct !== undefined) return distinct
  const v = req.headers[lower]
  if (v === undefined) return []
  return Array.isArray(v) ? v : [v]
}

/** Go url.PathUnescape; keys that fail to unescape are used as they are (k8s unescapeExtraKey). */
export function goPathUnescape(s: string): string {
  if (!s.includes('%')) return s
  if (!/^(?:[^%]|%[0-9a-fA-F]{2})*$/.test(s)) return s
  try {
    return decodeURIComponent(s)
  } catch {
    // Valid escapes but not valid UTF-8: Go keeps the bytes; decode them leniently.
    const bytes: number[] = []
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '%') {
        bytes.push(parseInt(s.slice(i + 1, i + 3), 16))
        i += 2
      } else bytes.push(...Buffer.from(s[i], 'utf8'))
    }
    return Buffer.from(bytes).toString('utf8')
  }
}

/** Reads the identity from the configured headers (k8s requestheader.AuthenticateRequest). */
export function userFromHeaders(req: AuthRequest, cfg: RequestHeaderConfig): UserInfo | null {
  let name = ''
  for (const h of cfg.usernameHeaders) {
    const v = headerValues(req, h)[0]
    if (v !== undefined && v !== '') {
      name = v
      break
    }
  }
  if (name === '') return null
  let uid = ''
  for (const h of cfg.uidHeaders) {
    const v = headerValues(req, h)[0]
    if (v !== undefined && v !== '') {
      uid = v
      break
    }
  }
  const groups: string[] = []
  for (const h of cfg.groupHeaders) groups.push(...headerValues(req, h))
  const extra: Record<string, string[]> = {}
  const prefixes = cfg.extraHeaderPrefixes.map((p) => p.toLowerCase()).filter((p) => p !== '')
  const names = new Set([...Object.keys(req.headersDistinct ?? {}), ...Object.keys(req.headers)])
  for (const header of names) {
    const lower = header.toLowerCase()
    for (const prefix of prefixes) {
      if (!lower.startsWith(prefix)) continue
      const key = goPathUnescape(lower.slice(prefix.length))
      ;(extra[key] ??= []).push(...headerValues(req, lower))
    }
  }
  const user: UserInfo = { name, groups, extra }
  if (uid !== '') user.uid = uid
  return user
}

export class RequestHeaderAuthenticator implements Authenticator {
  readonly name = 'requestheader'
  readonly #bundle: CABundle
  readonly #cfg: RequestHeaderConfig
  readonly #allowed: ReadonlySet<string>
  // Chain verification dominates; headers are read fresh on every request.
  readonly #verified = new LRUCache<string, true>({ max: 1_000, ttl: 60_000 })

  constructor(bundle: CABundle, cfg: RequestHeaderConfig) {
    this.#bundle = bundle
    this.#cfg = cfg
    this.#allowed = new Set(cfg.allowedNames)
  }

  /** Whether this chain is a trusted front proxy. Never throws. */
  isTrustedProxy(chain: readonly X509Certificate[]): boolean {
    const leaf = chain[0]
    if (leaf === undefined) return false
    const now = Date.now()
    const key = `${this.#bundle.generation}|${chainKey(chain)}`
    if (this.#verified.get(key) === true && now <= Date.parse(leaf.validTo)) return true
    try {
      verifyClientChain(chain, this.#bundle.certs, now)
    } catch {
      return false
    }
    if (this.#allowed.size > 0 && !this.#allowed.has(certificateCommonName(leaf))) return false
    this.#verified.set(key, true, { ttl: Math.max(1, Math.min(60_000, Date.parse(leaf.validTo) - now)) })
    return true
  }

  async authenticate(req: AuthRequest): Promise<UserInfo | null> {
    if (!this.isTrustedProxy(req.peerCertificates)) return null
    return userFromHeaders(req, this.#cfg)
  }
}
