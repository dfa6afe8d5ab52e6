// Shared set-up for the attack suite: a TLS echo server running the real createAuthentication
// with every method on (client CA, requestheader CA, token file, OIDC issuer), and a log capture.
import { createCA, type CertificateAuthority } from '../../src/pki/index.js'
import { baseOptions, LogCapture, startEchoServer, tempDir, TestIssuer, writeFile, type EchoServer } from '../auth/fixtures.js'

type T = Parameters<typeof tempDir>[0]

export interface Arena {
  srv: EchoServer
  clientCA: CertificateAuthority
  requestheaderCA: CertificateAuthority
  issuer: TestIssuer
  log: LogCapture
}

export async function arena(t: T): Promise<Arena> {
  const dir = tempDir(t)
  const clientCA = await createCA('client-ca')
  const requestheaderCA = await createCA('requestheader-ca')
  const issuer = await TestIssuer.start(t, dir)
  const log = new LogCapture()
  const srv = await startEchoServer(
    t,
    baseOptions({
      clientCAFile: writeFile(dir, 'client-ca.pem', clientCA.cert),
      requestheaderClientCAFile: writeFile(dir, 'rh-ca.pem', requestheaderCA.cert),
      requestheaderUsernameHeaders: ['X-Remote-User'],
      requestheaderGroupHeaders: ['X-Remote-Group'],
      requestheaderExtraHeadersPrefix: ['X-Remote-Extra-'],
      requestheaderAllowedNames: ['kcp-front-proxy'],
      tokenAuthFile: writeFile(dir, 'tokens.csv', 'static-token-123,tom,1,"devs,system:masters"\n'),
      oidcIssuerURL: issuer.url,
      oidcClientID: 'kcp',
      oidcCAFile: issuer.caFile,
      oidcUsernameClaim: 'email',
      oidcGroupsClaim: 'groups',
    }),
    { logger: log.logger, oidcTiming: { cooldownMs: 0 } },
  )
  return { srv, clientCA, requestheaderCA, issuer, log }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** True if no identity header other than the ones the proxy set is present. */
export function identityHeaders(h: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => k.toLowerCase().startsWith('x-remote-')))
}

/** Sends `token` as a bearer token and returns the echoed result. */
export async function tryToken(a: Arena, token: string) {
  const { call } = await import('../auth/fixtures.js')
  return call(a.srv, { headers: { ...bearer(token), 'X-Remote-User': 'admin' } })
}

export const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)
