// A minimal OIDC issuer on loopback HTTPS: the discovery document, a JWKS with one RS256 key, and a
// signer. For harnesses and the demo that exercise per-workspace authentication (a
// WorkspaceAuthenticationConfiguration names this issuer) or global OIDC, without a real IdP.
import { once } from 'node:events'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { createCA, issueLoopbackServerCert } from '../pki/index.js'

export interface EmulatedIssuer {
  /** Issuer URL (`https://127.0.0.1:<port>`): a WAC's `issuer.url`, or `--oidc-issuer-url`. */
  readonly url: string
  /** PEM of the CA that signed the issuer's serving certificate (a WAC's `issuer.certificateAuthority`). */
  readonly ca: string
  /** How often the JWKS was fetched. */
  readonly jwksFetches: number
  /** Signs `claims` with iss = url, the audience(s) given and a lifetime of `ttlSeconds`. */
  token(claims: JWTPayload, o: { audience: string | string[]; ttlSeconds: number }): Promise<string>
  close(): Promise<void>
}

export async function startIssuer(o: { name?: string } = {}): Promise<EmulatedIssuer> {
  const ca = await createCA(`${o.name ?? 'emulated-oidc'}-ca`)
  const serving = await issueLoopbackServerCert(ca)
  const kid = 'key-1'
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
    ca: ca.cert,
    get jwksFetches() {
      return jwksFetches
    },
    token: (claims, t) => {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(url).setAudience(t.audience).setIssuedAt(now).setExpirationTime(now + t.ttlSeconds).sign(privateKey)
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
