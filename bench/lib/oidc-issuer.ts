// The emulator's loopback OIDC issuer (src/emulator/issuer.ts) for benchmarks, with its CA written
// to a file for `oidcCAFile`. The proxy fetches discovery and keys once at start (and again only on
// rotation or after its key-set max age), so it can live in the load generator's process without
// taking CPU from the measured window.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JWTPayload } from 'jose'
import { startIssuer } from '../../src/emulator/issuer.js'

export interface BenchIssuer {
  /** Issuer URL, exactly as the proxy must be configured (`oidcIssuerURL`). */
  url: string
  /** PEM of the CA that signed the issuer's serving certificate (a WAC's certificateAuthority). */
  ca: string
  /** PEM file of that CA (`oidcCAFile`). */
  caFile: string
  /** How often the JWKS was fetched (a sanity figure: it should stay at 1 per proxy). */
  readonly jwksFetches: number
  /** Signs `claims` with iss = url, the given audience and a lifetime of `ttlSeconds`. */
  token(claims: JWTPayload, o: { audience: string; ttlSeconds: number }): Promise<string>
  close(): Promise<void>
}

export async function startBenchIssuer(dir: string, name = 'bench-oidc'): Promise<BenchIssuer> {
  const issuer = await startIssuer({ name })
  const caFile = join(dir, `${name}-ca.crt`)
  writeFileSync(caFile, issuer.ca)
  return {
    url: issuer.url,
    ca: issuer.ca,
    caFile,
    get jwksFetches() {
      return issuer.jwksFetches
    },
    token: (claims, o) => issuer.token(claims, o),
    close: () => issuer.close(),
  }
}
