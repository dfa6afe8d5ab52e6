// Authentication cost per request: `npx tsx bench/auth.bench.ts`
// Side by side in one run: no authentication, client certificate (cached chain check and a
// full uncached verification), cached OIDC bearer, cached workspace token, each followed by
// applyIdentityHeaders as the proxy does. Reports the median of 5 rounds in operations/s and the
// ratio to no authentication.
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Registry } from 'prom-client'
import { applyIdentityHeaders, createAuthentication, type Authentication } from '../src/auth/index.js'
import { defaultIdentityHeaderNames, type AuthDecision, type AuthRequest } from '../src/auth/types.js'
import { userFromCertificate, verifyClientChain } from '../src/auth/x509.js'
import { createCA } from '../src/pki/index.js'
import { baseOptions, TestIssuer } from '../test/auth/fixtures.js'
import { jwtFor, setup } from '../test/auth/workspace/fixtures.js'

const ROUNDS = 5
const OPS = 5_000

const teardowns: (() => unknown)[] = []
const t = { teardown: (fn: () => unknown) => teardowns.push(fn) }
const dir = mkdtempSync(join(tmpdir(), 'auth-bench-'))
const logger = pino({ level: 'silent' })

const ca = await createCA('bench-ca')
const caFile = join(dir, 'ca.pem')
writeFileSync(caFile, ca.cert)
const leafPEM = (await ca.issue({ commonName: 'alice', organizations: ['team-a', 'team-b'], usage: 'client' })).cert
const chain = [new X509Certificate(leafPEM)]
const roots = [new X509Certificate(ca.cert)]
const issuer = await TestIssuer.start(t, dir)
const token = await issuer.token({ email: 'dev@example.com', groups: ['devs'] })

const none = await createAuthentication(baseOptions(), { logger, registry: new Registry() })
const withCerts = await createAuthentication(baseOptions({ clientCAFile: caFile }), { logger, registry: new Registry() })
const withOIDC = await createAuthentication(
  baseOptions({ clientCAFile: caFile, oidcIssuerURL: issuer.url, oidcClientID: 'kcp', oidcCAFile: issuer.caFile, oidcUsernameClaim: 'email', oidcGroupsClaim: 'groups' }),
  { logger, registry: new Registry() },
)

// A workspace type whose WAC trusts a second issuer (kcp WorkspaceAuthentication), decided as the
// pipeline decides a cached token: authenticateCached() with the workspace's authenticator.
const wsIssuer = await TestIssuer.start(t, dir)
const ws = await setup(t)
ws.putWAC('bench-idp', [jwtFor(wsIssuer)])
const wsType = ws.putType('bench-ws', ['bench-idp'])
await ws.workspace.settled()
const wsToken = await wsIssuer.token({ email: 'dev@example.com', groups: ['devs'] })

const baseHeaders = { host: 'proxy', accept: 'application/json', 'user-agent': 'kubectl/v1.31', 'x-remote-user': 'forged' }
/** What the proxy does with a decision: stamp the identity headers on a copy of the request's. */
function stamp(d: AuthDecision): void {
  const h: Record<string, string | string[] | undefined> = { ...baseHeaders }
  applyIdentityHeaders(h, defaultIdentityHeaderNames, d.kind === 'user' ? d.user : undefined)
  if (d.kind === 'unauthorized') throw new Error('bench setup broken: ' + d.reason)
}
function forward(auth: Authentication, req: AuthRequest) {
  return auth.authenticate(req).then(stamp)
}

const cases: [string, () => Promise<unknown>][] = [
  ['no authentication (anonymous, headers stripped)', () => forward(none, { headers: { ...baseHeaders }, peerCertificates: [] })],
  ['client certificate (chain check cached per chain)', () => forward(withCerts, { headers: { ...baseHeaders }, peerCertificates: chain })],
  ['cached OIDC bearer token', () => forward(withOIDC, { headers: { ...baseHeaders, authorization: `Bearer ${token}` }, peerCertificates: [] })],
  [
    'cached workspace token (authenticateCached)',
    async () => {
      const req: AuthRequest = { headers: { ...baseHeaders, authorization: `Bearer ${wsToken}` }, peerCertificates: [] }
      const opts = { workspaceAuthenticator: ws.workspace.authenticatorFor(wsType, 'bench-lc')! }
      const d = ws.auth.authenticateCached(req, opts) ?? (await ws.auth.authenticate(req, opts))
      if (d.kind === 'anonymous') throw new Error('bench setup broken: the workspace token was not authenticated')
      stamp(d)
    },
  ],
  [
    'client certificate, full verification (uncached)',
    async () => {
      verifyClientChain(chain, roots)
      userFromCertificate(chain[0])
    },
  ],
]

async function round(fn: () => Promise<unknown>): Promise<{ opsPerSec: number; opsPerCpuSec: number }> {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < OPS; i++) await fn()
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  return { opsPerSec: OPS / wall, opsPerCpuSec: OPS / ((cpu.user + cpu.system) / 1e6) }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

for (const [, fn] of cases) for (let i = 0; i < 1_000; i++) await fn() // warm-up, fills caches
const results = new Map<string, { ops: number[]; cpu: number[] }>(cases.map(([n]) => [n, { ops: [], cpu: [] }]))
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of cases) {
    const res = await round(fn)
    results.get(name)!.ops.push(res.opsPerSec)
    results.get(name)!.cpu.push(res.opsPerCpuSec)
  }
}
const baseline = median(results.get(cases[0][0])!.cpu)
console.log(`auth bench: ${ROUNDS} rounds × ${OPS} ops, medians (node ${process.version})`)
for (const [name, r] of results) {
  const cpu = median(r.cpu)
  console.log(`${name.padEnd(52)} ${Math.round(median(r.ops)).toString().padStart(9)} ops/s ${Math.round(cpu).toString().padStart(9)} ops/CPU-s  ratio ${(cpu / baseline).toFixed(2)}`)
}

await Promise.all([none.close(), withCerts.close(), withOIDC.close()])
for (const fn of teardowns.reverse()) await fn()
rmSync(dir, { recursive: true, force: true })
