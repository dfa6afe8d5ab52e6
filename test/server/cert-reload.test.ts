// Serving-certificate reload: a rotated pair on disk reaches new handshakes, also when fs.watch
// cannot be used (the poll takes over); a client-CA change rebuilds the contexts, SNI ones too.
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer, connect, type Server } from 'node:tls'
import { X509Certificate } from 'node:crypto'
import pino from 'pino'
import type { WatchFn } from '../../src/files/reloadable.js'
import { createCA, issueLoopbackServerCert } from '../../src/pki/index.js'
import { startTLSReload } from '../../src/server/cert-reload.js'
import { ServingContexts } from '../../src/server/tls-contexts.js'
import { eventually } from '../fixtures/eventually.js'

const silent = pino({ level: 'silent' })
const refuse: WatchFn = () => {
  throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' })
}

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256
}

async function listen(t: Test, contexts: ServingContexts): Promise<{ server: Server; port: number }> {
  const server = createServer(contexts.listenerOptions(), (s) => s.end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const addr = server.address()
  return { server, port: typeof addr === 'object' && addr !== null ? addr.port : 0 }
}

/** The fingerprint of the certificate the server presents. */
function served(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' })
    s.on('secureConnect', () => {
      resolve(s.getPeerCertificate().fingerprint256)
      s.destroy()
    })
    s.on('error', reject)
  })
}

/** A TLS server on loopback serving `first` from two files, with startTLSReload following them. */
async function rotation(t: Test, source: 'flags' | 'generated', watch: WatchFn) {
  const ca = await createCA('serving-ca')
  const [first, next] = await Promise.all([issueLoopbackServerCert(ca), issueLoopbackServerCert(ca)])
  const dir = t.testdir()
  const certFile = join(dir, 'tls.crt')
  const keyFile = join(dir, 'tls.key')
  writeFileSync(certFile, first.cert)
  writeFileSync(keyFile, first.key)
  const contexts = new ServingContexts({ pair: first, sniCerts: new Map(), settings: { minVersion: 'TLSv1.2' } })
  const { server, port } = await listen(t, contexts)
  t.teardown(startTLSReload({ serving: { ...first, files: [certFile, keyFile], source }, contexts, server, logger: silent, tuning: { watch, pollMs: 20 } }))
  return { ca, first, next, certFile, keyFile, port }
}

t.test('a rotated serving certificate reaches new handshakes by polling when fs.watch throws', async (t) => {
  const { ca, first, next, certFile, keyFile, port } = await rotation(t, 'flags', refuse)
  t.equal(await served(port, ca.cert), fingerprint(first.cert))
  writeFileSync(keyFile, next.key)
  writeFileSync(certFile, next.cert)
  await eventually('the rotated certificate served', async () => (await served(port, ca.cert)) === fingerprint(next.cert))
  t.pass('served without a restart')
})

t.test('a generated certificate is not followed on disk', async (t) => {
  let watched = 0
  await rotation(t, 'generated', () => {
    watched++
    return { close: () => undefined, on: () => undefined }
  })
  t.equal(watched, 0, 'no watch (nor poll) for our own certificate')
})

t.test('a client-CA change is applied to the server and rebuilds the SNI contexts', async (t) => {
  const ca = await createCA('serving-ca')
  const [first, sni] = await Promise.all([issueLoopbackServerCert(ca), issueLoopbackServerCert(ca, 'sni.example')])
  const clientCA = await createCA('client-ca')
  let cas: string[] = []
  const contexts = new ServingContexts({ pair: first, sniCerts: new Map([['sni.example', sni]]), settings: { minVersion: 'TLSv1.2' }, clientCAs: () => cas })
  const opts = contexts.listenerOptions()
  t.equal(opts.requestCert, false, 'no client CAs: no certificate request')
  const sniContext = (): unknown => {
    let got: unknown
    opts.SNICallback!('sni.example', (_e, c) => (got = c))
    return got
  }
  const before = sniContext()
  t.ok(before, 'the SNI name has a context')
  let notify: (() => void) | undefined
  const applied: { ca?: unknown; requestCert: boolean }[] = []
  const stop = startTLSReload({
    serving: { ...first, files: [], source: 'flags' },
    contexts,
    server: { setSecureContext: (o) => applied.push(o as { ca?: unknown; requestCert: boolean }) },
    onClientCAsChange: (cb) => (notify = cb),
    logger: silent,
  })
  t.teardown(stop)
  cas = [clientCA.cert]
  notify!()
  t.same(applied.map((o) => [o.ca, o.requestCert]), [[[clientCA.cert], true]], 'the new CAs are handed to the server')
  t.not(sniContext(), before, 'the SNI callback answers from the rebuilt contexts')
})
