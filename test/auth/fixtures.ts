// Shared test fixtures for authentication: an HTTPS echo server that authenticates with the
// real createAuthentication, a client, an OIDC issuer on loopback, and a log capture.
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { TLSSocket, PeerCertificate, DetailedPeerCertificate } from 'node:tls'
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose'
import pino, { type Logger } from 'pino'
import { Registry } from 'prom-client'
import type { AuthenticationOptions } from '../../src/config/types.js'
import { applyIdentityHeaders, createAuthentication, type Authentication, type AuthenticationDeps } from '../../src/auth/index.js'
import { defaultIdentityHeaderNames, type AuthRequest } from '../../src/auth/types.js'
import { defaultDropGroups } from '../../src/auth/groups.js'
import { createCA, issueLoopbackServerCert, type CertificateAuthority, type KeyPair } from '../../src/pki/index.js'

type T = { teardown(fn: () => unknown): void }

export function baseOptions(over: Partial<AuthenticationOptions> = {}): AuthenticationOptions {
  return {
    apiAudiences: [],
    clientCAFile: '',
    tokenAuthFile: '',
    oidcIssuerURL: '',
    oidcClientID: '',
    oidcCAFile: '',
    oidcUsernameClaim: 'sub',
    oidcUsernamePrefix: '',
    oidcGroupsClaim: '',
    oidcGroupsPrefix: '',
    oidcSigningAlgs: ['RS256'],
    oidcRequiredClaim: {},
    oidcIssuers: [],
    authenticationConfig: '',
    serviceAccountKeyFiles: [],
    serviceAccountIssuers: ['https://kcp.default.svc'],
    serviceAccountLookup: false,
    requestheaderUsernameHeaders: [],
    requestheaderUIDHeaders: [],
    requestheaderGroupHeaders: [],
    requestheaderExtraHeadersPrefix: [],
    requestheaderClientCAFile: '',
    requestheaderAllowedNames: [],
    authenticationTokenWebhookConfigFile: '',
    authenticationTokenWebhookVersion: 'v1beta1',
    authenticationTokenWebhookCacheTTL: '2m',
    authenticationPassOnGroups: [],
    authenticationDropGroups: [...defaultDropGroups],
    ...over,
  }
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

/** The peer chain as the server engineer builds it: getPeerCertificate(true), leaf first. */
export function peerChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = []
  let c: PeerCertificate | DetailedPeerCertificate | undefined = socket.getPeerCertificate(true)
  const seen = new Set<string>()
  while (c !== undefined && c.raw !== undefined && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256)
    out.push(new X509Certificate(c.raw))
    c = (c as DetailedPeerCertificate).issuerCertificate
  }
  return out
}

export interface EchoServer {
  url: string
  ca: string
  auth: Authentication
}

/** A real TLS server calling createAuthentication and echoing the decision and the headers a shard would get. */
export async function startEchoServer(t: T, opts: AuthenticationOptions, deps: Partial<AuthenticationDeps> & { logger: Logger }): Promise<EchoServer> {
  const serverCA = await createCA('echo-serving-ca')
  const serving = await issueLoopbackServerCert(serverCA)
  const auth = await createAuthentication(opts, { registry: new Registry(), ...deps })
  t.teardown(() => auth.close())
  const cas = auth.clientCAs()
  // Large enough for the 64 KiB token check to be ours, not Node's 16 KiB header limit.
  const server = https.createServer({ maxHeaderSize: 256 * 1024, key: serving.key, cert: serving.cert, requestCert: cas.length > 0, rejectUnauthorized: false, ...(cas.length > 0 ? { ca: cas } : {}) }, (req, res) => {
    const authReq: AuthRequest = { headers: req.headers, headersDistinct: req.headersDistinct, peerCertificates: peerChain(req.socket as TLSSocket) }
    const respond = async () => {
      if (req.url === '/metrics') {
        const m = await auth.authorizeMetrics(authReq)
        res.writeHead(m.allowed ? 200 : m.status, { 'content-type': 'application/json' }).end(JSON.stringify(m))
        return
      }
      const decision = await auth.authenticate(authReq)
      const headers: Record<string, string | string[] | undefined> = { ...req.headers }
      applyIdentityHeaders(headers, defaultIdentityHeaderNames, decision.kind === 'user' ? decision.user : undefined)
      res.writeHead(decision.kind === 'unauthorized' ? 401 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ decision, headers }))
    }
    respond().catch((err: unknown) => res.writeHead(500).end(String(err)))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  t.teardown(() => server.closeAllConnections())
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: serverCA.cert, auth }
}

export interface EchoResult {
  status: number
  decision: { kind: string; user?: { name: string; uid?: string; groups: string[]; extra: Record<string, string[]> }; method?: string; reason?: string }
  headers: Record<string, string | string[]>
  raw: Record<string, unknown>
}

/** One request with optional client certificate and headers (raw pairs allow duplicates). */
export async function call(srv: EchoServer, o: { path?: string; cert?: KeyPair; headers?: Record<string, string | string[]> } = {}): Promise<EchoResult> {
  const req = https.request(srv.url + (o.path ?? '/clusters/root/api'), {
    ca: srv.ca,
    agent: false,
    ...(o.cert !== undefined ? { cert: o.cert.cert, key: o.cert.key } : {}),
    headers: o.headers ?? {},
  })
  req.end()
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage]
  let body = ''
  for await (const chunk of res) body += String(chunk)
  const raw = JSON.parse(body)
  return { status: res.statusCode ?? 0, decision: raw.decision ?? {}, headers: raw.headers ?? {}, raw }
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
