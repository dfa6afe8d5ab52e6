// Serving certificate resolution: flags, <cert-dir>/apiserver.*, else generated and
// written; rotation on disk is served without a restart; client certificates are
// requested exactly when authentication has client CAs.
import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, type PeerCertificate } from 'node:tls'
import { X509Certificate } from 'node:crypto'
import pino from 'pino'
import { issueLoopbackServerCert } from '../../src/pki/index.js'
import { generateSelfSigned, resolveServingCert } from '../../src/server/tls.js'
import { completeOptions } from '../../src/config/index.js'
import { pki, startBackend, startProxy, tmpDir, twoShardIndex } from '../proxy/fixtures/env.js'
import { eventually } from '../fixtures/eventually.js'

const silent = pino({ level: 'silent' })

function handshake(url: string, ca: string): Promise<{ cert: PeerCertificate; authorized: boolean; alpn: string | false | null }> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port), ca, ALPNProtocols: ['h2', 'http/1.1'] })
    s.on('secureConnect', () => {
      resolve({ cert: s.getPeerCertificate(), authorized: s.authorized, alpn: s.alpnProtocol })
      s.end()
    })
    s.on('error', reject)
  })
}

t.test('without flags or files a self-signed CA + cert for localhost is generated and written to the cert dir', async (t) => {
  const dir = tmpDir(t)
  const o = completeOptions({ proxy: { rootDirectory: dir } }, 'embedded')
  const s = await resolveServingCert(o.secureServing, silent)
  t.equal(s.source, 'generated')
  t.ok(existsSync(join(dir, 'apiserver.crt')))
  t.ok(existsSync(join(dir, 'apiserver.key')))
  const leaf = new X509Certificate(s.cert)
  t.match(leaf.subjectAltName, /DNS:localhost/)
  t.match(leaf.subjectAltName, /DNS:kubernetes\.default\.svc/)
  t.match(leaf.subjectAltName, /IP Address:127\.0\.0\.1/)
  const again = await resolveServingCert(o.secureServing, silent)
  t.equal(again.source, 'cert-dir', 'the second start reuses the written pair')
  t.equal(again.cert, s.cert)
})

t.test('explicit cert/key flags win; a broken pair is a clear startup error', async (t) => {
  const dir = tmpDir(t)
  const gen = await generateSelfSigned()
  writeFileSync(join(dir, 'a.crt'), gen.cert)
  writeFileSync(join(dir, 'a.key'), gen.key)
  const o = completeOptions({ secureServing: { tlsCertFile: join(dir, 'a.crt'), tlsPrivateKeyFile: join(dir, 'a.key') }, proxy: { rootDirectory: dir } }, 'embedded')
  t.equal((await resolveServingCert(o.secureServing, silent)).source, 'flags')
  writeFileSync(join(dir, 'apiserver.crt'), 'garbage')
  writeFileSync(join(dir, 'apiserver.key'), 'garbage')
  const o2 = completeOptions({ proxy: { rootDirectory: dir } }, 'embedded')
  await t.rejects(resolveServingCert(o2.secureServing, silent), /cannot use .*apiserver\.crt/)
})

t.test('HTTP/2 and HTTP/1.1 are offered via ALPN; --disable-http2-serving leaves only HTTP/1.1', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  t.equal((await handshake(env.proxy.url, env.ca)).alpn, 'h2')
  const env1 = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), input: { secureServing: { disableHttp2Serving: true } } })
  t.equal((await handshake(env1.proxy.url, env1.ca)).alpn, 'http/1.1')
})

t.test('a rotated serving certificate on disk is served without a restart', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const before = (await handshake(env.proxy.url, env.ca)).cert.fingerprint256
  const next = await issueLoopbackServerCert((await pki()).servingCA)
  writeFileSync(join(env.dir, 'serving.key'), next.key)
  writeFileSync(join(env.dir, 'serving.crt'), next.cert)
  const want = new X509Certificate(next.cert).fingerprint256
  await eventually('the rotated certificate in a handshake', async () => (await handshake(env.proxy.url, env.ca)).cert.fingerprint256 === want, { timeoutMs: 5000, intervalMs: 100 })
  t.not(before, want)
  t.ok(readFileSync(join(env.dir, 'serving.crt')))
})

t.test('client certificates are requested (not required) only when authentication has client CAs', async (t) => {
  const root = await startBackend(t)
  const p = await pki()
  const withCAs = await startProxy(t, {
    entries: [{ path: '/clusters/', backend: root.url }],
    index: twoShardIndex(root.url, root.url),
    authentication: { authenticate: async (r) => (r.peerCertificates.length > 0 ? { kind: 'user', method: 'x509', user: { name: r.peerCertificates[0].subject.split('\n').join(','), groups: [], extra: {} } } : { kind: 'anonymous' }), clientCAs: () => [p.clientCA.cert] },
  })
  const { h1 } = await import('../proxy/fixtures/client.js')
  const withCert = await h1(`${withCAs.proxy.url}/clusters/root/api`, withCAs.ca, { cert: p.admin.cert, key: p.admin.key })
  t.match(JSON.parse(withCert.body).headers['x-remote-user'], /CN=admin/, 'the presented certificate reached the authenticator')
  const without = await h1(`${withCAs.proxy.url}/clusters/root/api`, withCAs.ca)
  t.equal(without.status, 200, 'no certificate is fine: requested, not required')
  t.notOk('x-remote-user' in JSON.parse(without.body).headers)
  const noCAs = await startProxy(t, {
    entries: [{ path: '/clusters/', backend: root.url }],
    index: twoShardIndex(root.url, root.url),
    authentication: { authenticate: async (r) => ({ kind: 'user', method: 'x', user: { name: `certs:${r.peerCertificates.length}`, groups: [], extra: {} } }) },
  })
  const ignored = await h1(`${noCAs.proxy.url}/clusters/root/api`, noCAs.ca, { cert: p.admin.cert, key: p.admin.key })
  t.equal(JSON.parse(ignored.body).headers['x-remote-user'], 'certs:0', 'without client CAs no certificate is requested')
})

t.test('--tls-sni-cert-key: a client asking for an SNI name gets that certificate, others the default', async (t) => {
  const root = await startBackend(t)
  const p = await pki()
  const dir = tmpDir(t)
  const alt = await p.servingCA.issue({ commonName: 'alt', usage: 'server', dnsNames: ['alt.example', '*.wild.example'] })
  writeFileSync(join(dir, 'alt.crt'), alt.cert)
  writeFileSync(join(dir, 'alt.key'), alt.key)
  const env = await startProxy(t, {
    entries: [{ path: '/clusters/', backend: root.url }],
    index: twoShardIndex(root.url, root.url),
    input: { secureServing: { tlsSniCertKey: [{ certFile: join(dir, 'alt.crt'), keyFile: join(dir, 'alt.key'), domains: [] }] } },
  })
  const u = new URL(env.proxy.url)
  const cnFor = (servername: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: u.hostname, port: Number(u.port), servername, ca: env.ca, checkServerIdentity: () => undefined })
      s.on('secureConnect', () => {
        resolve(String(s.getPeerCertificate().subject.CN))
        s.end()
      })
      s.on('error', reject)
    })
  t.equal(await cnFor('alt.example'), 'alt')
  t.equal(await cnFor('x.wild.example'), 'alt', 'wildcard SAN')
  t.equal(await cnFor('localhost'), 'localhost', 'default certificate otherwise')
})
