// Authentication and authorization the way a kcp shard does it (docs/upstream.md#identity-headers): requestheader first (only on a
// connection whose client certificate was issued by the requestheader CA *and* has an allowed CN), then
// client certificates from the client CA (CN → user, O → groups), then static bearer tokens.
import { X509Certificate } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { StaticToken } from './types.js'

export interface Identity {
  username: string
  uid?: string
  groups: string[]
  extra: Record<string, string[]>
}

export type AuthResult = { kind: 'user'; user: Identity } | { kind: 'anonymous' } | { kind: 'unauthorized' }

export const MASTERS = 'system:masters'

export interface AuthConfig {
  clientCA: string
  requestHeaderCA: string
  requestHeaderAllowedNames: string[]
  tokens: StaticToken[]
}

type PeerVerdict =
  | { kind: 'client'; cn: string; orgs: string[] }
  | { kind: 'requestheader'; cn: string; allowed: boolean }
  | { kind: 'none' }

/** Parses Node's multi-line subject (`O=a\nCN=b`) into CN and O values. */
export function parseSubject(subject: string): { cn: string; orgs: string[] } {
  let cn = ''
  const orgs: string[] = []
  for (const line of subject.split('\n')) {
    const i = line.indexOf('=')
    if (i < 0) continue
    const k = line.slice(0, i)
    const v = line.slice(i + 1)
    if (k === 'CN') cn = v
    else if (k === 'O') orgs.push(v)
  }
  return { cn, orgs }
}

/** `k8s.io/apiserver` adds this group to every authenticated user; so do we. */
function withAuthenticated(groups: string[]): string[] {
  return groups.includes('system:authenticated') ? groups : [...groups, 'system:authenticated']
}

export class ShardAuthenticator {
  private readonly clientCA: X509Certificate
  private readonly requestHeaderCA: X509Certificate
  private readonly tokens: Map<string, StaticToken>
  /** TLS peers do not change during a connection: verify the chain once per socket. */
  private readonly verdicts = new WeakMap<object, PeerVerdict>()

  constructor(private readonly cfg: AuthConfig) {
    this.clientCA = new X509Certificate(cfg.clientCA)
    this.requestHeaderCA = new X509Certificate(cfg.requestHeaderCA)
    this.tokens = new Map(cfg.tokens.map((t) => [t.token, t]))
  }

  /** Accepts one more static bearer token from now on (harnesses that mint tokens after start). */
  addToken(t: StaticToken): void {
    this.tokens.set(t.token, t)
  }

  authenticate(req: IncomingMessage): AuthResult {
    const peer = this.peer(req.socket as TLSSocket)
    if (peer.kind === 'requestheader') {
      if (!peer.allowed) return { kind: 'unauthorized' }
      const user = fromRequestHeaders(req)
      if (user) return { kind: 'user', user }
    } else if (peer.kind === 'client') {
      return { kind: 'user', user: { username: peer.cn, groups: withAuthenticated(peer.orgs), extra: {} } }
    }
    const auth = req.headers.authorization
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth)
      const t = m ? this.tokens.get(m[1]) : undefined
      if (!t) return { kind: 'unauthorized' }
      const user: Identity = { username: t.user, groups: withAuthenticated(t.groups ?? []), extra: {} }
      if (t.uid !== undefined) user.uid = t.uid
      return { kind: 'user', user }
    }
    return peer.kind === 'requestheader' ? { kind: 'unauthorized' } : { kind: 'anonymous' }
  }

  private peer(socket: TLSSocket): PeerVerdict {
    const cached = this.verdicts.get(socket)
    if (cached) return cached
    const v = this.verify(socket)
    this.verdicts.set(socket, v)
    return v
  }

  private verify(socket: TLSSocket): PeerVerdict {
    const cert = typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined
    if (!cert) return { kind: 'none' }
    const now = Date.now()
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) return { kind: 'none' }
    const { cn, orgs } = parseSubject(cert.subject)
    if (signedBy(cert, this.requestHeaderCA)) return { kind: 'requestheader', cn, allowed: this.cfg.requestHeaderAllowedNames.length === 0 || this.cfg.requestHeaderAllowedNames.includes(cn) }
    if (signedBy(cert, this.clientCA)) return { kind: 'client', cn, orgs }
    return { kind: 'none' }
  }
}

function signedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey)
  } catch {
    return false
  }
}

/** X-Remote-User / X-Remote-Group (each value one group) / X-Remote-Extra-<escaped key>. */
export function fromRequestHeaders(req: Pick<IncomingMessage, 'headersDistinct'>): Identity | undefined {
  const h = req.headersDistinct
  const username = h['x-remote-user']?.[0]
  if (username === undefined || username === '') return undefined
  const groups = h['x-remote-group'] ?? []
  const extra: Record<string, string[]> = {}
  for (const [name, values] of Object.entries(h)) {
    if (!name.startsWith('x-remote-extra-') || values === undefined) continue
    let key = name.slice('x-remote-extra-'.length)
    try {
      key = decodeURIComponent(key)
    } catch {
      // Keep the raw key: k8s does the same when unescaping fails.
    }
    key = key.toLowerCase()
    extra[key] = [...(extra[key] ?? []), ...values]
  }
  return { username, groups: withAuthenticated(groups), extra }
}

export const isMaster = (u: Identity): boolean => u.groups.includes(MASTERS)

/** kcp's global admin group: bound to cluster-admin in every workspace by kcp's bootstrap policy. */
export const KCP_ADMIN = 'system:kcp:admin'

/** Who the emulator's authorizer lets do anything inside existing logical clusters. */
export const isPrivileged = (u: Identity): boolean => isMaster(u) || u.groups.includes(KCP_ADMIN)

export interface AccessAttributes {
  nonResource?: { path: string; verb: string }
  resource?: { verb: string; group: string; resource: string; subresource?: string; namespace?: string; name?: string }
}

/**
 * The emulator's authorizer (documented in docs/emulator.md): system:masters and system:kcp:admin may do
 * anything (kcp binds both to cluster-admin); `impersonate` needs one of them; user `bob` may do nothing
 * but discovery and self reviews; `/metrics` needs group system:kcp:metrics-readers or user
 * metrics-reader; every other authenticated user may act inside existing logical clusters.
 */
export function authorize(u: Identity, a: AccessAttributes): boolean {
  if (isPrivileged(u)) return true
  if (a.nonResource) {
    const { path, verb } = a.nonResource
    if (path === '/metrics') return verb === 'get' && (u.groups.includes('system:kcp:metrics-readers') || u.username === 'metrics-reader')
    return verb === 'get' && isDiscoveryPath(path)
  }
  if (a.resource?.verb === 'impersonate') return false
  return u.username !== 'bob'
}

export function isDiscoveryPath(path: string): boolean {
  return /^\/(api|apis|openapi|version|healthz|livez|readyz)(\/|$)/.test(path)
}

export const defaultTokens: StaticToken[] = [
  { token: 'admin-token', user: 'admin', uid: 'admin-uid', groups: [MASTERS] },
  { token: 'user-token', user: 'user', uid: 'user-uid', groups: [] },
  { token: 'bob-token', user: 'bob', uid: 'bob-uid', groups: [] },
]
