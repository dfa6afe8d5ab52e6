// The arena every attack test fights in: the real server (createFrontProxy over real sockets)
// in front of an emulated kcp topology. What reached a shard is read back from the shard itself
// (SelfSubjectReview), so a test sees the identity the shard believed, not what we meant to send.
import { createHash, X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { connect as h2connect, constants as h2c, type ClientHttp2Session } from 'node:http2'
import type { Test } from 'tap'
import { startTopology, type Topology } from '../../src/emulator/index.js'
import type { TopologyFiles } from '../../src/emulator/types.js'
import { caFromPair, createCA, issueLoopbackServerCert, type CertificateAuthority, type KeyPair } from '../../src/pki/index.js'
import { createFrontProxy, type CreateFrontProxyInput, type FrontProxy } from '../../src/server/index.js'
import { h1, h2, type Answer } from '../proxy/fixtures/client.js'
import { LogCapture, tempDir, TestIssuer } from '../auth/fixtures.js'

export const reviewPath = (ws = 'root:org'): string => `/clusters/${ws}/apis/authentication.k8s.io/v1/selfsubjectreviews`
export const reviewBody = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
export const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** The extra the proxy forwards for a client certificate user: its credential id (sha256 of the DER). */
export const credentialId = (pem: string): Record<string, string[]> => ({
  'authentication.kubernetes.io/credential-id': [`X509SHA256=${createHash('sha256').update(new X509Certificate(pem).raw).digest('hex')}`],
})

/** Identity headers a client has no business sending. */
export const forged = { 'X-Remote-User': 'admin', 'x-remote-group': 'system:masters', 'X-REMOTE-EXTRA-scopes': 'cluster:*' }

export interface UserInfo {
  username: string
  groups: string[]
  extra?: Record<string, string[]>
}

export interface Arena {
  topo: Topology
  files: TopologyFiles
  proxy: FrontProxy
  /** CA of the proxy's serving certificate. */
  ca: string
  /** Signs client certificates the proxy trusts (--client-ca-file). */
  clientCA: CertificateAuthority
  /** Signs front proxies the proxy trusts to assert identities (--requestheader-client-ca-file); only in 'full'. */
  requestheaderCA: CertificateAuthority | undefined
  issuer: TestIssuer | undefined
  /** The proxy's log, at trace level. */
  log: LogCapture
  /** The shards' log, at trace level: every request a shard answered is a 'request' line with its URL. */
  shardLog: LogCapture
  dir: string
}

export type ArenaAuth =
  /** Client certificates, a token file, OIDC and requestheader: every method on, like a locked-down production proxy. */
  | 'full'
  /** Only --client-ca-file: tokens pass through to the shard, which validates them (upstream's §5.1 rule). */
  | 'client-cert-only'

export interface ArenaOptions {
  auth?: ArenaAuth
  input?: CreateFrontProxyInput
  /**
   * Raw lines appended to the proxy's token file (only 'full' has one), e.g. identities the shards'
   * token writer cannot express. For a token the shards must accept too, call topo.addToken.
   */
  tokenCsv?: string
}

/** Starts the topology (root + alpha, workspace root:org on alpha) and the proxy; both stop in teardown. */
export async function arena(t: Test, o: ArenaOptions = {}): Promise<Arena> {
  const auth = o.auth ?? 'full'
  const dir = tempDir(t)
  const shardLog = new LogCapture()
  const topo = await startTopology({ shards: ['root', 'alpha'], logger: shardLog.logger })
  t.teardown(() => topo.close())
  const files = await topo.writeFiles(join(dir, 'topology'))
  let tokenAuthFile = files.tokenCsv
  if (o.tokenCsv !== undefined) {
    tokenAuthFile = join(dir, 'proxy-tokens.csv')
    writeFileSync(tokenAuthFile, readFileSync(files.tokenCsv, 'utf8') + o.tokenCsv)
  }
  await topo.createWorkspace('root', 'org', { shard: 'alpha' })
  const serving = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
  writeFileSync(join(dir, 'proxy.crt'), serving.cert)
  writeFileSync(join(dir, 'proxy.key'), serving.key)
  const clientCA = caFromPair(topo.pki.clientCA)
  let requestheaderCA: CertificateAuthority | undefined
  let issuer: TestIssuer | undefined
  let authentication: CreateFrontProxyInput['authentication'] = { clientCAFile: files.clientCACert }
  if (auth === 'full') {
    requestheaderCA = await createCA('inbound-requestheader-ca')
    writeFileSync(join(dir, 'rh-ca.crt'), requestheaderCA.cert)
    issuer = await TestIssuer.start(t, dir)
    authentication = {
      ...authentication,
      tokenAuthFile,
      oidcIssuerURL: issuer.url,
      oidcClientID: 'kcp',
      oidcCAFile: issuer.caFile,
      oidcUsernameClaim: 'email',
      oidcGroupsClaim: 'groups',
      requestheaderClientCAFile: join(dir, 'rh-ca.crt'),
      requestheaderUsernameHeaders: ['X-Remote-User'],
      requestheaderGroupHeaders: ['X-Remote-Group'],
      requestheaderExtraHeadersPrefix: ['X-Remote-Extra-'],
      requestheaderAllowedNames: ['kcp-front-proxy'],
    }
  }
  const log = new LogCapture()
  const proxy = await createFrontProxy({
    ...o.input,
    proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig, ...o.input?.proxy },
    secureServing: { tlsCertFile: join(dir, 'proxy.crt'), tlsPrivateKeyFile: join(dir, 'proxy.key'), ...o.input?.secureServing },
    authentication: { ...authentication, ...o.input?.authentication },
    logger: log.logger,
  })
  t.teardown(() => proxy.close())
  return { topo, files, proxy, ca: topo.pki.servingCA.cert, clientCA, requestheaderCA, issuer, log, shardLog, dir }
}

export interface Who {
  status: number
  user: UserInfo | undefined
  body: string
}

function who(r: Answer): Who {
  return { status: r.status, user: r.status === 201 ? (JSON.parse(r.body) as { status: { userInfo: UserInfo } }).status.userInfo : undefined, body: r.body }
}

/** Why the proxy refused to authenticate requests (its debug log lines), from log line `from` on. */
export function refusals(a: Arena, from = 0): string[] {
  const out: string[] = []
  for (const l of entries(a.log, from)) if (l.msg === 'Unable to authenticate the request' && typeof l.reason === 'string') out.push(l.reason)
  return out
}

/** The JSON log entries of a capture, from line `from` on. */
function entries(log: LogCapture, from = 0): Record<string, unknown>[] {
  return log.lines.slice(from).flatMap((chunk) => chunk.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>))
}

export type Protocol = 'HTTP/1.1' | 'HTTP/2'
export const protocols: readonly Protocol[] = ['HTTP/1.1', 'HTTP/2']

export interface Attempt extends Who {
  /** Whether the request reached the workspace's shard at all. */
  reachedShard: boolean
  /** Why the proxy refused to authenticate it (empty when it did not refuse). */
  refusals: string[]
}

/** Whether any shard answered a request whose URL contains `marker`. */
export function shardSaw(a: Arena, marker: string): boolean {
  return entries(a.shardLog).some((l) => l.msg === 'request' && typeof l.url === 'string' && l.url.includes(marker))
}

let markers = 0
/** A query parameter unique to one request, to find it in the shards' log. */
export const marker = (): string => `attempt=${++markers}`

/** whoami over `protocol`, also telling whether a shard was asked and why the proxy refused. */
export async function attempt(a: Arena, protocol: Protocol, o: WhoamiOptions = {}): Promise<Attempt> {
  const lines = a.log.lines.length
  const m = marker()
  const r = await (protocol === 'HTTP/2' ? whoamiH2 : whoami)(a, { ...o, query: m })
  return { ...r, reachedShard: shardSaw(a, m), refusals: refusals(a, lines) }
}

/** Asserts the proxy answered 401 itself: the shard never saw the request. Returns why the proxy refused (its log). */
export async function refused(t: Test, a: Arena, protocol: Protocol, o: WhoamiOptions = {}, what = 'refused'): Promise<string> {
  const r = await attempt(a, protocol, o)
  t.equal(r.status, 401, `${what}: 401 from the proxy`)
  t.notOk(r.reachedShard, `${what}: the shard was never asked`)
  return r.refusals.join('; ')
}

/** Asserts the shard served the request as `want` (username, groups in any order, extra exactly). */
export async function servedAs(t: Test, a: Arena, protocol: Protocol, o: WhoamiOptions, want: { username: string; groups: string[]; extra?: Record<string, string[]> }, what = 'served'): Promise<UserInfo | undefined> {
  const r = await attempt(a, protocol, o)
  t.equal(r.status, 201, `${what}: the shard answered the review`)
  t.equal(r.user?.username, want.username, `${what}: the shard saw user ${want.username}`)
  t.same([...(r.user?.groups ?? [])].sort(), [...want.groups].sort(), `${what}: the shard saw groups ${want.groups.join(', ')}`)
  t.same(r.user?.extra ?? {}, want.extra ?? {}, `${what}: the shard saw exactly these extras`)
  return r.user
}

export interface WhoamiOptions {
  headers?: Record<string, string | string[]>
  cert?: KeyPair
  workspace?: string
  /** Query string (without '?') for the review URL. */
  query?: string
}

const reviewURL = (a: Arena, o: WhoamiOptions): string => `${a.proxy.url}${reviewPath(o.workspace)}${o.query !== undefined ? `?${o.query}` : ''}`

/** POST a SelfSubjectReview through the proxy over HTTP/1.1: the identity the shard believed. */
export async function whoami(a: Arena, o: WhoamiOptions = {}): Promise<Who> {
  return who(await h1(reviewURL(a, o), a.ca, { method: 'POST', body: reviewBody, cert: o.cert?.cert, key: o.cert?.key, headers: { 'content-type': 'application/json', ...o.headers } }))
}

/** The same over HTTP/2. */
export async function whoamiH2(a: Arena, o: WhoamiOptions = {}): Promise<Who> {
  return who(await h2(reviewURL(a, o), a.ca, { method: 'POST', body: reviewBody, cert: o.cert?.cert, key: o.cert?.key, headers: { 'content-type': 'application/json', ...o.headers } }))
}

/** A raw TLS connection to the proxy speaking HTTP/1.1 (ALPN http/1.1), closed in teardown. */
export function rawTLS(t: Test, a: Arena, o: { cert?: KeyPair } = {}): Promise<TLSSocket> {
  const u = new URL(a.proxy.url)
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca: a.ca, ALPNProtocols: ['http/1.1'], cert: o.cert?.cert, key: o.cert?.key }, () => resolve(s))
    s.once('error', reject)
    t.teardown(() => s.destroy())
  })
}

/** An HTTP/2 session to the proxy, closed in teardown. */
export function rawH2(t: Test, a: Arena, o: { cert?: KeyPair; maxSendHeaderBlockLength?: number } = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = h2connect(a.proxy.url, { ca: a.ca, cert: o.cert?.cert, key: o.cert?.key, ...(o.maxSendHeaderBlockLength !== undefined ? { maxSendHeaderBlockLength: o.maxSendHeaderBlockLength } : {}) })
    s.once('connect', () => resolve(s))
    s.once('error', reject)
    t.teardown(() => s.destroy())
  })
}

/**
 * Everything the peer sends until it closes the connection or `ms` pass (bounded), as latin1.
 * `closed` says whether the proxy closed the connection within the time.
 */
export function readUntilClose(s: TLSSocket, ms = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = ''
    const timer = setTimeout(() => finish(false), ms)
    const onData = (c: Buffer): void => {
      text += c.toString('latin1')
    }
    function finish(closed: boolean): void {
      clearTimeout(timer)
      s.off('data', onData)
      resolve({ text, closed })
    }
    s.on('data', onData)
    s.once('close', () => finish(true))
    s.once('end', () => finish(true))
  })
}

export const h2Headers = h2c

export interface UpgradeAttempt {
  /** Everything the proxy sent back, latin1. */
  text: string
  /** The status of the first answer (0 if none). */
  status: number
  /** How many HTTP responses came back on the connection. */
  responses: number
  /** Whether the proxy closed the connection. */
  closed: boolean
  reachedShard: boolean
  refusals: string[]
}

/**
 * Over a raw TLS connection (HTTP/1.1): a `GET path` asking to upgrade to `protocol` with `headers`,
 * and `then` (if given) written in the same write, as a pipelined follow-up on the connection.
 */
export async function upgrade(t: Test, a: Arena, o: { path: string; protocol: 'websocket' | 'SPDY/3.1'; headers?: Record<string, string>; then?: string; cert?: KeyPair }): Promise<UpgradeAttempt> {
  const s = await rawTLS(t, a, o.cert !== undefined ? { cert: o.cert } : {})
  const lines = a.log.lines.length
  const m = marker()
  const protocolHeaders = o.protocol === 'websocket' ? { 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } : { 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' }
  const headers = { Host: new URL(a.proxy.url).host, Connection: 'Upgrade', Upgrade: o.protocol, ...protocolHeaders, ...o.headers }
  const head = `GET ${o.path}${o.path.includes('?') ? '&' : '?'}${m} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`
  const answer = readUntilClose(s, 8000)
  s.write(head + (o.then ?? ''))
  const r = await answer
  const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((x) => Number(x[1]))
  return { ...r, status: statuses[0] ?? 0, responses: statuses.length, reachedShard: shardSaw(a, m), refusals: refusals(a, lines) }
}

/** A complete HTTP/1.1 SelfSubjectReview carrying forged identity headers, for smuggling after another request. */
export function forgedReview(a: Arena): string {
  return `POST ${reviewPath()} HTTP/1.1\r\nHost: ${new URL(a.proxy.url).host}\r\nX-Remote-User: admin\r\nX-Remote-Group: system:masters\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(reviewBody)}\r\n\r\n${reviewBody}`
}
