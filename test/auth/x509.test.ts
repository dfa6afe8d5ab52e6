import t from 'tap'
import { createHash, X509Certificate } from 'node:crypto'
import { createCA } from '../../src/pki/index.js'
import { userFromCertificate, verifyClientChain } from '../../src/auth/x509.js'
import { authentication, baseOptions, decide, LogCapture, tempDir, writeFile } from './fixtures.js'
import { eventually } from '../fixtures/eventually.js'

t.test('verifyClientChain accepts a cert of the CA and rejects others, expired and server-only certs', async (t) => {
  const ca = await createCA('client-ca')
  const other = await createCA('other-ca')
  const roots = [new X509Certificate(ca.cert)]
  const good = new X509Certificate((await ca.issue({ commonName: 'alice', usage: 'client' })).cert)
  t.doesNotThrow(() => verifyClientChain([good], roots))
  const foreign = new X509Certificate((await other.issue({ commonName: 'alice', usage: 'client' })).cert)
  t.throws(() => verifyClientChain([foreign], roots), { message: /unknown authority/ })
  const expired = new X509Certificate((await ca.issue({ commonName: 'alice', notBefore: new Date(Date.now() - 86_400_000 * 2), notAfter: new Date(Date.now() - 86_400_000) })).cert)
  t.throws(() => verifyClientChain([expired], roots), /expired/)
  const future = new X509Certificate((await ca.issue({ commonName: 'alice', notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 2 * 86_400_000) })).cert)
  t.throws(() => verifyClientChain([future], roots), /not yet valid/)
  const serverOnly = new X509Certificate((await ca.issue({ commonName: 'alice', usage: 'server' })).cert)
  t.throws(() => verifyClientChain([serverOnly], roots), /client authentication/)
  t.throws(() => verifyClientChain([], roots), /no client certificate/)
  // A foreign leaf followed by the trusted CA cert (as a bogus "intermediate") is still rejected.
  t.throws(() => verifyClientChain([foreign, roots[0]], roots), { message: /unknown authority/ })
})

t.test('userFromCertificate: CN is the user, every O a group, credential-id is the DER sha256', async (t) => {
  const ca = await createCA('client-ca')
  const pem = (await ca.issue({ commonName: 'alice', organizations: ['team-a', 'team-b'], usage: 'client' })).cert
  const c = new X509Certificate(pem)
  const u = userFromCertificate(c)
  t.equal(u.name, 'alice')
  t.same(u.groups.sort(), ['team-a', 'team-b'])
  t.same(u.extra, { 'authentication.kubernetes.io/credential-id': ['X509SHA256=' + createHash('sha256').update(c.raw).digest('hex')] })
  t.equal(u.uid, undefined)
})

t.test('createAuthentication: a client certificate of --client-ca-file authenticates, O→groups, system:masters dropped', async (t) => {
  const dir = tempDir(t)
  const ca = await createCA('client-ca')
  const log = new LogCapture()
  const auth = await authentication(t, baseOptions({ clientCAFile: writeFile(dir, 'ca.pem', ca.cert) }), { logger: log.logger })
  t.same(auth.clientCAs(), [ca.cert.trim()])
  const cert = await ca.issue({ commonName: 'alice', organizations: ['team-a', 'system:masters'], usage: 'client' })
  const r = await decide(auth, { cert })
  t.equal(r.status, 200)
  t.equal(r.decision.kind, 'user')
  t.equal(r.decision.method, 'x509')
  t.equal(r.headers['X-Remote-User'], 'alice')
  t.same(r.headers['X-Remote-Group'], ['system:authenticated', 'team-a'])
  t.match(r.headers['X-Remote-Extra-authentication.kubernetes.io%2Fcredential-id'], [/^X509SHA256=[0-9a-f]{64}$/])
  t.equal((await decide(auth, { cert })).decision.kind, 'user', 'cached path gives the same answer')
})

t.test('CA bundle reloads from disk: a cert of the new CA works after rotation without restart', async (t) => {
  const dir = tempDir(t)
  const oldCA = await createCA('old-ca')
  const newCA = await createCA('new-ca')
  const file = writeFile(dir, 'ca.pem', oldCA.cert)
  const log = new LogCapture()
  const auth = await authentication(t, baseOptions({ clientCAFile: file }), { logger: log.logger, caPollMs: 50 })
  let changed = 0
  auth.onClientCAsChange(() => changed++)
  const newCert = await newCA.issue({ commonName: 'bob', usage: 'client' })
  t.equal((await decide(auth, { cert: newCert })).status, 401, 'not trusted yet')
  writeFile(dir, 'ca.pem', newCA.cert)
  await eventually('the CA change reported', () => changed > 0)
  t.equal(changed, 1, 'change reported once')
  t.same(auth.clientCAs(), [newCA.cert.trim()])
  const r = await decide(auth, { cert: newCert })
  t.equal(r.decision.user?.name, 'bob')
  const oldCert = await oldCA.issue({ commonName: 'carol', usage: 'client' })
  t.equal((await decide(auth, { cert: oldCert })).status, 401, 'old CA no longer trusted')
  writeFile(dir, 'ca.pem', 'garbage')
  await eventually('the invalid bundle reported', () => /ignoring invalid CA bundle/.test(log.text))
  t.same(auth.clientCAs(), [newCA.cert.trim()], 'invalid content keeps the previous bundle')
  t.equal(changed, 1, 'and is no change')
})

t.test('a missing or invalid CA file is a startup error naming the file', async (t) => {
  const dir = tempDir(t)
  const log = new LogCapture()
  await t.rejects(authentication(t, baseOptions({ clientCAFile: `${dir}/nope.pem` }), { logger: log.logger }), /nope\.pem: cannot read/)
  const bad = writeFile(dir, 'bad.pem', 'not a pem')
  await t.rejects(authentication(t, baseOptions({ clientCAFile: bad }), { logger: log.logger }), /bad\.pem: no PEM certificate/)
})
