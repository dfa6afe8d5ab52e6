// The arena every attack test fights in: the real server (createFrontProxy over real sockets)
// in front of an emulated kcp topology. What reached a shard is read back from the shard itself
// (SelfSubjectReview), so a test sees the identity the shard believed, not what we meant to send.
import { writeFileSync } from 'node:fs'
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
  log: LogCapture
  dir: string
}

export type ArenaAuth =
  /** Client certificates, a token file, OIDC and requestheader: every method on, like a locked-down production proxy. */
  | 'full'
  /** Only --client-ca-file: tokens pass through to the shard, which validates them (upstream's §5.1 rule). */
  | 'client-cert-only'

/** Starts the topology (root + alpha, workspace root:org on alpha) and the proxy; both stop in teardown. */
export async function arena(t: Test, o: { auth?: ArenaAuth; input?: CreateFrontProxyInput } = {}): Promise<Arena> {
  const auth = o.auth ?? 'full'
  const dir = tempDir(t)
  const topo = await startTopology({ shards: ['root', 'alpha'] })
  t.teardown(() => topo.close())
  const files = await topo.writeFiles(join(dir, 'topology'))
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
      tokenAuthFile: files.tokenCsv,
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
  return { topo, files, proxy, ca: topo.pki.servingCA.cert, clientCA, requestheaderCA, issuer, log, dir }
}

export interface Who {
  status: number
  user: UserInfo | undefined
  body: string
}

function who(r: Answer): Who {
  return { status: r.status, user: r.status === 201 ? (JSON.parse(r.body) as { status: { userInfo: UserInfo } }).status.userInfo : undefined, body: r.body }
}

export interface WhoamiOptions {
  headers?: Record<string, string | string[]>
  cert?: KeyPair
  workspace?: string
}

/** POST a SelfSubjectReview through the proxy over HTTP/1.1: the identity the shard believed. */
export async function whoami(a: Arena, o: WhoamiOptions = {}): Promise<Who> {
  return who(await h1(`${a.proxy.url}${reviewPath(o.workspace)}`, a.ca, { method: 'POST', body: reviewBody, cert: o.cert?.cert, key: o.cert?.key, headers: { 'content-type': 'application/json', ...o.headers } }))
}

/** The same over HTTP/2. */
export async function whoamiH2(a: Arena, o: WhoamiOptions = {}): Promise<Who> {
  return who(await h2(`${a.proxy.url}${reviewPath(o.workspace)}`, a.ca, { method: 'POST', body: reviewBody, cert: o.cert?.cert, key: o.cert?.key, headers: { 'content-type': 'application/json', ...o.headers } }))
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
export function rawH2(t: Test, a: Arena, o: { cert?: KeyPair } = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = h2connect(a.proxy.url, { ca: a.ca, cert: o.cert?.cert, key: o.cert?.key })
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
