// Shared test fixtures for authentication: AuthRequests built from real certificates and
// headers for the real createAuthentication, an OIDC issuer on loopback, and a log capture.
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose'
import pino, { type Logger } from 'pino'
import { Registry } from 'prom-client'
import { completeOptions } from '../../src/config/complete.js'
import type { AuthenticationOptions, CompletedAuthenticationOptions } from '../../src/config/types.js'
import { applyIdentityHeaders, createAuthentication, type Authentication, type AuthenticationDeps } from '../../src/auth/index.js'
import { defaultIdentityHeaderNames, type AuthDecision, type AuthRequest, type UserInfo } from '../../src/auth/types.js'
import { createCA, issueLoopbackServerCert, type CertificateAuthority, type KeyPair } from '../../src/pki/index.js'

type T = { teardown(fn: () => unknown): void }

/**
 * The authentication group as createAuthentication gets it: through the real completeOptions()
 * (so --oidc-* flags become allOIDCIssuers exactly as in production), lookups off by default.
 */
export function baseOptions(over: Partial<AuthenticationOptions> = {}): CompletedAuthenticationOptions {
  return completeOptions({ authentication: { serviceAccountLookup: false, ...over } }, 'embedded').authentication
}

/** A temp dir removed in teardown. */
export function tempDir(t: T): string {
  const d = mkdtempSync(join(tmpdir(), 'kfp-auth-'))
  t.teardown(() => rmSync(d, { recursive: true, force: true }))
  return d
}

export function writeFile(dir: string, name: string, content: string): string {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

/** Captures every pino line so tests can assert no credential was logged. */
export class LogCapture {
  readonly lines: string[] = []
  readonly logger: Logger
  constructor() {
    const lines = this.lines
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'))
        cb()
      },
    })
    this.logger = pino({ level: 'trace' }, stream)
  }
  get text(): string {
    return this.lines.join('')
  }
}

type Headers = Record<string, string | string[]>

/**
 * An AuthRequest as the server builds one: the client's certificate chain, leaf first, parsed
 * from the PEMs it would present (none without `cert`), and its headers as Node parses them
 * (lower-case names; repeated values joined with ", " in `headers`, each kept in `headersDistinct`).
 */
export function authRequest(o: { cert?: KeyPair; headers?: Headers } = {}): AuthRequest {
  const pems = o.cert?.cert.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  const headers: Record<string, string> = {}
  const headersDistinct: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(o.headers ?? {})) {
    const k = name.toLowerCase()
    headersDistinct[k] = [...(headersDistinct[k] ?? []), ...(Array.isArray(value) ? value : [value])]
    headers[k] = headersDistinct[k].join(', ')
  }
  return { headers, headersDistinct, peerCertificates: pems.map((p) => new X509Certificate(p)) }
}

export interface Decided {
  /** What the server answers: 401 when unauthorized, else the request goes on. */
  status: 200 | 401
  decision: { kind: AuthDecision['kind']; user?: UserInfo; method?: string; reason?: string }
  /** The client's headers with identity headers replaced, as a shard would get them. */
  headers: Record<string, string | string[] | undefined>
}

/** Authenticates one request with the real createAuthentication result, as the server does. */
export async function decide(auth: Authentication, o: { cert?: KeyPair; headers?: Headers } = {}): Promise<Decided> {
  const req = authRequest(o)
  const decision = await auth.authenticate(req)
  const headers: Record<string, string | string[] | undefined> = { ...req.headers }
  applyIdentityHeaders(headers, defaultIdentityHeaderNames, decision.kind === 'user' ? decision.user : undefined)
  return { status: decision.kind === 'unauthorized' ? 401 : 200, decision, headers }
}

/** Builds the real authentication from options; closed in teardown. */
export async function authentication(t: T, opts: CompletedAuthenticationOptions, deps: Partial<AuthenticationDeps> & { logger: Logger }): Promise<Authentication> {
  const auth = await createAuthentication(opts, { registry: new Registry(), ...deps })
  t.teardown(() => auth.close())
  return auth
}

/** An OIDC issuer on loopback HTTPS: discovery + JWKS, rotatable keys, stoppable. */
export class TestIssuer {
  readonly ca: CertificateAuthority
  readonly caFile: string
  url = ''
  #server: https.Server | undefined
  #serving: KeyPair | undefined
  #port = 0
  keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = []
  jwksFetches = 0

  private constructor(ca: CertificateAuthority, caFile: string) {
    this.ca = ca
    this.caFile = caFile
  }

  static async start(t: T, dir: string): Promise<TestIssuer> {
    const ca = await createCA('oidc-ca')
    const iss = new TestIssuer(ca, writeFile(dir, `oidc-ca-${Math.random().toString(36).slice(2)}.pem`, ca.cert))
    iss.#serving = await issueLoopbackServerCert(ca)
    await iss.addKey('k1')
    await iss.listen()
    t.teardown(() => iss.stop())
    return iss
  }

  async addKey(kid: string): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    this.keys.push({ kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } })
  }

  async listen(): Promise<void> {
    const server = https.createServer({ key: this.#serving!.key, cert: this.#serving!.cert }, (req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: this.url, jwks_uri: `${this.url}/keys` }))
      } else if (req.url === '/keys') {
        this.jwksFetches++
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys.map((k) => k.jwk) }))
      } else res.writeHead(404).end()
    })
    server.listen(this.#port, '127.0.0.1')
    await once(server, 'listening')
    this.#port = (server.address() as AddressInfo).port
    this.url = `https://127.0.0.1:${this.#port}`
    this.#server = server
  }

  async stop(): Promise<void> {
    const s = this.#server
    this.#server = undefined
    if (s === undefined) return
    s.closeAllConnections()
    await new Promise<void>((r) => s.close(() => r()))
  }

  /** Signs with the newest key unless told otherwise. */
  async token(claims: JWTPayload, o: { kid?: string; aud?: string; exp?: number; nbf?: number; iss?: string } = {}): Promise<string> {
    const k = o.kid !== undefined ? this.keys.find((x) => x.kid === o.kid)! : this.keys[this.keys.length - 1]
    const now = Math.floor(Date.now() / 1000)
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: k.kid })
      .setIssuer(o.iss ?? this.url)
      .setAudience(o.aud ?? 'kcp')
      .setIssuedAt(now)
      .setExpirationTime(o.exp ?? now + 600)
    if (o.nbf !== undefined) jwt.setNotBefore(o.nbf)
    return jwt.sign(k.privateKey)
  }
}

export interface FakeRoot {
  config: import('../../src/kube/kubeconfig.js').KubeClientConfig
  requests: { method: string; url: string; body: unknown; authorization: string | undefined }[]
}

/** A loopback HTTPS "root shard" answering with `handler`; records what it was asked. */
export async function startFakeRoot(
  t: T,
  handler: (method: string, url: string, body: unknown) => { status: number; body?: unknown },
  serverPath = '',
): Promise<FakeRoot> {
  const ca = await createCA('root-ca')
  const serving = await issueLoopbackServerCert(ca)
  const requests: FakeRoot['requests'] = []
  const server = https.createServer({ key: serving.key, cert: serving.cert }, (req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const parsed: unknown = body === '' ? undefined : JSON.parse(body)
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: parsed, authorization: req.headers.authorization })
      const r = handler(req.method ?? '', req.url ?? '', parsed)
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body === undefined ? '' : JSON.stringify(r.body))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((r) => server.close(() => r()))
  })
  const port = (server.address() as AddressInfo).port
  return { config: { server: new URL(`https://127.0.0.1:${port}${serverPath}`), ca: ca.cert, insecureSkipTLSVerify: false, token: 'root-admin-token', file: 'test' }, requests }
}
