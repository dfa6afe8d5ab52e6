// A minimal OIDC issuer on loopback HTTPS for benchmarks: the discovery document and a
// JWKS with one RS256 key, plus a signer for tokens. The proxy fetches discovery and keys
// once at start (and again only on rotation or after its key-set max age), so it can live
// in the load generator's process without taking CPU from the measured window.
// Kept here rather than importing test/auth/fixtures.ts so benchmarks do not depend on
// test helpers (or on whatever those may import later).
import { once } from 'node:events'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { createCA, issueLoopbackServerCert } from '../../src/pki/index.js'

export interface BenchIssuer {
  /** Issuer URL, exactly as the proxy must be configured (`oidcIssuerURL`). */
  url: string
  /** PEM file of the CA that signed the issuer's serving certificate (`oidcCAFile`). */
  caFile: string
  /** How often the JWKS was fetched (a sanity figure: it should stay at 1 per proxy). */
  readonly jwksFetches: number
  /** Signs `claims` with iss = url, the given audience and a lifetime of `ttlSeconds`. */
  token(claims: JWTPayload, o: { audience: string; ttlSeconds: number }): Promise<string>
  close(): Promise<void>
}

export async function startBenchIssuer(dir: string): Promise<BenchIssuer> {
  const ca = await createCA('bench-oidc-ca')
  const serving = await issueLoopbackServerCert(ca)
  const caFile = join(dir, 'oidc-ca.crt')
  writeFileSync(caFile, ca.cert)
  const kid = 'bench-1'
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] })
  let url = ''
  let jwksFetches = 0
  const server = https.createServer({ key: serving.key, cert: serving.cert }, (req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: url, jwks_uri: `${url}/keys` }))
    } else if (req.url === '/keys') {
      jwksFetches++
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
    } else {
      res.writeHead(404).end()
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    caFile,
    get jwksFetches() { return jwksFetches },
    token: (claims, o) => {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(url)
        .setAudience(o.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + o.ttlSeconds)
        .sign(privateKey)
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
