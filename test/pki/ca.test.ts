import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { createCA } from '../../src/pki/ca.js'
import { fingerprint256 } from '../../src/pki/fingerprint.js'

t.test('a CA issues server and client certificates that verify against it', async (t) => {
  const ca = await createCA('test-ca')
  const caX = new X509Certificate(ca.cert)
  t.ok(caX.ca, 'CA flag set')
  const server = await ca.issue({ commonName: 'localhost', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
  const sx = new X509Certificate(server.cert)
  t.ok(sx.verify(caX.publicKey), 'server cert signed by the CA')
  t.ok(sx.checkHost('localhost'))
  t.ok(sx.checkIP('127.0.0.1'))
  const client = await ca.issue({ commonName: 'alice', organizations: ['devs', 'ops'], usage: 'client' })
  const cx = new X509Certificate(client.cert)
  t.match(cx.subject, /CN=alice/)
  t.match(cx.subject, /O=devs/)
  t.match(cx.subject, /O=ops/)
  t.equal(fingerprint256(client.cert).length, 64)
})

t.test('subject values with RDN specials are escaped, not split', async (t) => {
  const ca = await createCA('test-ca')
  const c = await ca.issue({ commonName: 'a,b=c', organizations: ['x+y'] })
  const cx = new X509Certificate(c.cert)
  // Node prints the subject one RDN per line with specials escaped.
  t.match(cx.subject, /^CN=a\\,b=c$/m)
  t.match(cx.subject, /^O=x\\\+y$/m)
  t.equal(cx.subject.split('\n').length, 2, 'exactly two RDNs')
})
