import t from 'tap'
import { createServer as createHttpsServer } from 'node:https'
import { createServer } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { createCA, issueLoopbackServerCert } from '../../src/pki/index.js'
import { KubeClient } from '../../src/kube/client.js'

t.test('TLS with the kubeconfig CA and client certificate; server path prefix kept; bearer token sent', async (t) => {
  const ca = await createCA('client-test-ca')
  const serving = await issueLoopbackServerCert(ca)
  const clientCert = await ca.issue({ commonName: 'shard-admin', organizations: ['system:masters'], usage: 'client' })
  const seen: { path?: string; auth?: string; cn?: string }[] = []
  const server = createHttpsServer({ key: serving.key, cert: serving.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate()
    seen.push({ path: req.url, auth: req.headers.authorization, cn: String(peer.subject?.CN) })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ ok: true, method: req.method }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const port = (server.address() as AddressInfo).port
  const client = new KubeClient(
    { server: new URL(`https://localhost:${port}/clusters/root/`), ca: ca.cert, cert: clientCert.cert, key: clientCert.key, token: 's3cret', insecureSkipTLSVerify: false, file: 't' },
    { rewritePath: (p) => p.replace('/things', '/things:id') },
  )
  t.teardown(() => client.close())
  const res = await client.getJSON('/api/v1/things?limit=1')
  t.same(res, { status: 200, body: { ok: true, method: 'GET' } })
  const post = await client.postJSON('/apis/x/v1/reviews', { a: 1 })
  t.equal((post.body as { method: string }).method, 'POST')
  t.same(seen[0], { path: '/clusters/root/api/v1/things:id?limit=1', auth: 'Bearer s3cret', cn: 'shard-admin' })
})

t.test('an untrusted server certificate is refused unless insecure-skip-tls-verify', async (t) => {
  const ca = await createCA('trusted')
  const other = await createCA('untrusted')
  const serving = await issueLoopbackServerCert(other)
  const server = createHttpsServer({ key: serving.key, cert: serving.cert }, (_req, res) => res.end('{}'))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`)
  const strict = new KubeClient({ server: url, ca: ca.cert, insecureSkipTLSVerify: false, file: 't' })
  const lax = new KubeClient({ server: url, insecureSkipTLSVerify: true, file: 't' })
  t.teardown(() => Promise.all([strict.close(), lax.close()]))
  await t.rejects(strict.getJSON('/x'), /certificate|self.signed|verify/i)
  t.equal((await lax.getJSON('/x')).status, 200)
})

t.test('a GET on a connection reset once is retried at once; watchStream reads non-200 bodies', async (t) => {
  let n = 0
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/reset') && ++n === 1) {
      req.socket.destroy()
      return
    }
    if (req.url?.startsWith('/watch-gone')) {
      res.writeHead(410, { 'content-type': 'application/json' })
      res.end('{"kind":"Status","code":410,"reason":"Gone"}')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('not json')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const client = new KubeClient({ server: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), insecureSkipTLSVerify: false, file: 't' })
  t.teardown(() => client.close())
  const res = await client.getJSON('/reset')
  t.same(res, { status: 200, body: 'not json' }, 'retried and non-JSON body returned as text')
  t.equal(n, 2)
  const w = await client.watchStream('/watch-gone', new AbortController().signal)
  t.same(w, { status: 410, body: { kind: 'Status', code: 410, reason: 'Gone' } })
})
