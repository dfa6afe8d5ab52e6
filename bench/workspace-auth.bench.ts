// Per-workspace authentication: `npx tsx bench/workspace-auth.bench.ts [--rounds 5] [--ops 5000] [--wacs 100]`
//
// 1. Verify cost, in-process, side by side in one run: a cached workspace token vs a cached global
//    OIDC token, each through Authentication.authenticate() (promise path) and authenticateCached()
//    (the synchronous path the pipeline takes first), followed by applyIdentityHeaders as the proxy
//    does. Medians of the rounds, in operations per CPU-second, and the ratio workspace / global.
// 2. Propagation: the emulator as shards, the real index controller and workspace authentication.
//    For each of --wacs new WACs: the time from the shard storing the WAC until authenticatorFor()
//    returns an authenticator for its type, and until that authenticator accepts a token; once with
//    every WAC naming the IdP already in use (keys shared), once with a new loopback IdP per WAC
//    (discovery + JWKS fetched). p50 / p99 over all WACs.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Registry } from 'prom-client'
import { applyIdentityHeaders, createAuthentication, type Authentication, type AuthenticateOptions } from '../src/auth/index.js'
import { defaultIdentityHeaderNames, type AuthDecision, type AuthRequest } from '../src/auth/types.js'
import { createWorkspaceAuthentication } from '../src/auth/workspace/index.js'
import { createIndexController } from '../src/controller/index.js'
import { startTopology } from '../src/emulator/index.js'
import { AuthConfigIndex, WorkspaceIndex } from '../src/index/index.js'
import { parseKubeconfig } from '../src/kube/kubeconfig.js'
import { baseOptions } from '../test/auth/fixtures.js'
import { startBenchIssuer } from './lib/oidc-issuer.js'
import { fmt, markdownTable, median, numberArg, parseArgs, percentile } from './lib/stats.js'

const args = parseArgs(process.argv.slice(2))
const ROUNDS = numberArg(args, 'rounds', 5)
const OPS = numberArg(args, 'ops', 5_000)
const WACS = numberArg(args, 'wacs', 100)
const logger = pino({ level: 'silent' })
const dir = mkdtempSync(join(tmpdir(), 'ws-auth-bench-'))
const closers: (() => Promise<unknown>)[] = []

const [globalIssuer, wsIssuer] = await Promise.all([startBenchIssuer(dir, 'global-idp'), startBenchIssuer(dir, 'workspace-idp')])
closers.push(() => globalIssuer.close(), () => wsIssuer.close())
const jwtFor = (url: string, ca: string) => [{ issuer: { url, certificateAuthority: ca, audiences: ['kcp'] }, claimMappings: { username: { claim: 'email', prefix: 'oidc:' }, groups: { claim: 'groups', prefix: 'oidc:' } } }]

// ── 1. verify cost ───────────────────────────────────────────────────────────────────────────────
const registry = new Registry()
const auth = await createAuthentication(
  baseOptions({ oidcIssuerURL: globalIssuer.url, oidcClientID: 'kcp', oidcCAFile: globalIssuer.caFile, oidcUsernameClaim: 'email', oidcGroupsClaim: 'groups' }),
  { logger, registry },
)
closers.push(() => auth.close())
const index = new AuthConfigIndex()
const workspace = createWorkspaceAuthentication({ apiAudiences: [] }, { index, logger, registry })
closers.push(() => workspace.close())
index.upsertAuthConfig('s1', { metadata: { name: 'idp', annotations: { 'kcp.io/cluster': 'orglc' } }, spec: { jwt: jwtFor(wsIssuer.url, wsIssuer.ca) } })
index.upsertWorkspaceType('s1', { metadata: { name: 't', annotations: { 'kcp.io/cluster': 'orglc', 'kcp.io/path': 'root:org' } }, spec: { authenticationConfigurations: [{ name: 'idp' }] } })
await workspace.settled()

const claims = { email: 'dev@example.com', groups: ['devs'] }
const globalToken = await globalIssuer.token(claims, { audience: 'kcp', ttlSeconds: 3600 })
const wsToken = await wsIssuer.token(claims, { audience: 'kcp', ttlSeconds: 3600 })
const baseHeaders = { host: 'proxy', accept: 'application/json', 'user-agent': 'kubectl/v1.31', 'x-remote-user': 'forged' }
const req = (token: string): AuthRequest => ({ headers: { ...baseHeaders, authorization: `Bearer ${token}` }, peerCertificates: [] })
const stamp = (d: AuthDecision | undefined) => {
  if (d?.kind !== 'user') throw new Error(`bench setup broken: ${JSON.stringify(d)}`)
  const h: Record<string, string | string[] | undefined> = { ...baseHeaders }
  applyIdentityHeaders(h, defaultIdentityHeaderNames, d.user)
}
// Per request the pipeline asks authenticatorFor() (the type and cluster come from the index lookup).
const wsOpts = (): AuthenticateOptions => ({ workspaceAuthenticator: workspace.authenticatorFor('root:org:t', 'teamlc')! })
const viaPromise = (a: Authentication, token: string, o: () => AuthenticateOptions | undefined) => async () => stamp(await a.authenticate(req(token), o()))
const viaCached = (a: Authentication, token: string, o: () => AuthenticateOptions | undefined) => async () => stamp(a.authenticateCached(req(token), o()))

const cases: [string, () => Promise<void>][] = [
  ['global OIDC token, authenticate()', viaPromise(auth, globalToken, () => undefined)],
  ['workspace token, authenticate()', viaPromise(auth, wsToken, wsOpts)],
  ['global OIDC token, authenticateCached()', viaCached(auth, globalToken, () => undefined)],
  ['workspace token, authenticateCached()', viaCached(auth, wsToken, wsOpts)],
]
async function round(fn: () => Promise<void>): Promise<number> {
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < OPS; i++) await fn()
  const cpu = process.cpuUsage(cpu0)
  return OPS / ((cpu.user + cpu.system) / 1e6)
}
// Warm-up fills every cache (both tokens verified once, workspace peek path primed).
for (const [, fn] of [cases[0], cases[1]]) for (let i = 0; i < 1_000; i++) await fn()
const perCase = new Map<string, number[]>(cases.map(([n]) => [n, []]))
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of cases) perCase.get(name)!.push(await round(fn))
const m = (name: string) => median(perCase.get(name)!)
console.log(`workspace-auth bench (node ${process.version}): ${ROUNDS} rounds × ${OPS} calls, medians\n`)
console.log(markdownTable(['Case', 'ops/CPU-s', 'workspace / global'], [
  [cases[0][0], fmt(m(cases[0][0])), ''],
  [cases[1][0], fmt(m(cases[1][0])), fmt(m(cases[1][0]) / m(cases[0][0]), 2)],
  [cases[2][0], fmt(m(cases[2][0])), ''],
  [cases[3][0], fmt(m(cases[3][0])), fmt(m(cases[3][0]) / m(cases[2][0]), 2)],
]))

// ── 2. propagation: WAC stored at the shard → authenticatorFor() ─────────────────────────────────
const topo = await startTopology({ shards: ['root', 'alpha'] })
closers.push(() => topo.close())
const authIndex = new AuthConfigIndex()
const controller = createIndexController({
  rootConfig: parseKubeconfig(topo.kubeconfig(), 'root.kubeconfig'),
  shardsConfig: parseKubeconfig(topo.kubeconfig({ user: 'shard-admin' }), 'shards.kubeconfig'),
  index: new WorkspaceIndex(),
  authIndex,
  registry: new Registry(),
  logger,
})
const live = createWorkspaceAuthentication({ apiAudiences: [] }, { index: authIndex, logger, registry: new Registry() })
closers.push(() => live.close(), () => controller.stop())
await topo.createWorkspace('root', 'org', { shard: 'alpha' })
await controller.start()
await controller.whenReady()

/** Spins on the event loop (setImmediate) until `check` is true; bounded by 10 s. */
async function spin(check: () => boolean | Promise<boolean>): Promise<number> {
  const t0 = performance.now()
  while (!(await check())) {
    if (performance.now() - t0 > 10_000) throw new Error('not propagated within 10 s')
    await new Promise((r) => setImmediate(r))
  }
  return performance.now() - t0
}
/**
 * For each of WACS new workspace types and WACs: stored at the shard → authenticatorFor() returns it,
 * and → a token is accepted. `issuerOf(i)` names the WAC's identity provider (set up before the clock starts).
 */
async function propagation(prefix: string, issuerOf: (i: number) => Promise<{ url: string; ca: string; token: string }>): Promise<{ toFor: number[]; toAccept: number[] }> {
  const toFor: number[] = []
  const toAccept: number[] = []
  for (let i = 0; i < WACS; i++) {
    const type = `${prefix}t-${i}`
    const idp = await issuerOf(i)
    await topo.putWorkspaceType('root:org', type, { authenticationConfigurations: [`${prefix}w-${i}`] })
    await spin(() => authIndex.lookup(`root:org:${type}`) !== undefined)
    const t0 = performance.now()
    await topo.putAuthConfig('root:org', `${prefix}w-${i}`, { jwt: jwtFor(idp.url, idp.ca) })
    await spin(() => live.authenticatorFor(`root:org:${type}`, 'lc') !== undefined)
    toFor.push(performance.now() - t0)
    await spin(async () => (await live.authenticatorFor(`root:org:${type}`, 'lc')!.authenticate(req(idp.token)))?.name === 'oidc:dev@example.com')
    toAccept.push(performance.now() - t0)
  }
  return { toFor, toAccept }
}
// Every WAC names the IdP already in use (one company IdP for many workspace types): its keys are shared.
const known = await propagation('k', async () => ({ url: wsIssuer.url, ca: wsIssuer.ca, token: wsToken }))
// Every WAC names an IdP nobody used yet: discovery and JWKS are fetched for it.
const fresh = await propagation('n', async (i) => {
  const idp = await startBenchIssuer(dir, `idp-${i}`)
  closers.push(() => idp.close())
  return { url: idp.url, ca: idp.ca, token: await idp.token(claims, { audience: 'kcp', ttlSeconds: 3600 }) }
})
const row = (what: string, xs: number[]): string[] => [what, fmt(percentile(xs, 50), 2), fmt(percentile(xs, 99), 2), fmt(Math.max(...xs), 2)]
console.log(`\nWAC stored at the shard → usable, ${WACS} WACs each way (ms)\n`)
console.log(markdownTable(['Until', 'p50', 'p99', 'max'], [
  row('authenticatorFor() returns it (IdP already in use)', known.toFor),
  row('a token is accepted (IdP already in use: keys shared)', known.toAccept),
  row('authenticatorFor() returns it (new IdP)', fresh.toFor),
  row('a token is accepted (new IdP: discovery + JWKS fetched)', fresh.toAccept),
]))

for (const c of closers.reverse()) await c()
rmSync(dir, { recursive: true, force: true })
