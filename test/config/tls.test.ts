import t from 'tap'
import { createSecureContext } from 'node:tls'
import { nodeTLSSettings, validateTLS } from '../../src/config/tls.js'

t.test('Go TLS names map to OpenSSL names Node accepts', async (t) => {
  const s = nodeTLSSettings({
    tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
    tlsCurvePreferences: ['X25519', 'CurveP256', '24'],
    tlsMinVersion: 'VersionTLS13',
  })
  t.same(s, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305', ecdhCurve: 'X25519:P-256:P-384', minVersion: 'TLSv1.3' })
  t.doesNotThrow(() => createSecureContext({ ciphers: s.ciphers, ecdhCurve: s.ecdhCurve, minVersion: s.minVersion }))
})

t.test('empty lists leave Node defaults; empty min version is TLS 1.2', async (t) => {
  t.same(nodeTLSSettings({ tlsCipherSuites: [], tlsCurvePreferences: [], tlsMinVersion: '' }), { minVersion: 'TLSv1.2' })
})

t.test('unknown, insecure and unavailable names are errors', async (t) => {
  t.match(validateTLS({ tlsCipherSuites: ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'nope'], tlsCurvePreferences: ['CurveP999'], tlsMinVersion: 'VersionTLS11' }), [
    /3DES.*insecure/, /unknown cipher suite "nope"/, /unknown curve "CurveP999"/, /VersionTLS11 is not supported/,
  ])
  const pq = validateTLS({ tlsCipherSuites: [], tlsCurvePreferences: ['X25519MLKEM768'], tlsMinVersion: 'VersionTLS12' })
  let available = true
  try { createSecureContext({ ecdhCurve: 'X25519MLKEM768' }) } catch { available = false }
  t.equal(pq.length === 0, available, `X25519MLKEM768 accepted exactly when this OpenSSL (${process.versions.openssl}) has it`)
})
