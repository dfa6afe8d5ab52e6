// Authentication cost measured through the proxy (issue 6): requests per proxy CPU-second
// with a client certificate and with a cached OIDC bearer token, against the unauthenticated
// proxy in the same run. Three instances of our proxy, each in its own pinned process, all
// in front of the same emulated shard, interleaved inside every run:
//   ours-none  no authentication at the proxy; the bearer token (admin-token) is passed to the shard
//              (row ours-none+jwt: the same process sent the OIDC JWT, which the shard knows as an opaque
//              admin token: the same request bytes as ours-oidc, without verifying them)
//   ours-cert  --client-ca-file = the topology's client CA; the client presents the admin certificate
//   ours-oidc  --oidc-issuer-url/-client-id/-ca-file → a loopback issuer; the client sends one signed
//              JWT valid for an hour, so the proxy's token cache (10 s TTL, upstream's) serves it
//   ours-ws    --feature-gates=WorkspaceAuthentication=true; the request goes to workspace root:bench-ws,
//              whose type names a WAC for a second loopback issuer, with one cached token of that issuer
//              (baseline row ours-none+wsjwt: the same URL and token bytes through ours-none)
// Target: cert / none, oidc / none+jwt and ws / none+wsjwt ≥ 0.85 in requests per proxy CPU-second.
// Usage: npx tsx bench/auth-proxy.bench.ts [--runs 3] [--seconds 5] [--connections 1,50,500]
//          [--probe 2000] [--warmup 2] [--no-pin] [--json out.json]
//          [--cases ours-none+wsjwt,ours-ws]  (only these rows; ratios whose rows are missing print —)
//          [--processes N]  (N processes of each proxy; run r measures set (r-1) mod N, so the speed of
//                            one process, which differs from process to process, does not decide a ratio)
//          [--client h1c]  (load from h2load --h1, a C client, instead of autocannon; not for ours-cert,
//                           as h2load cannot present a client certificate)
//          [--static-shard]  (after the sanity checks, nginx answers the GET in the shard's place
//                             (bench/lib/static-shard.ts): every case then costs the shard the same,
//                             whatever identity headers it gets)
import { readFileSync } from 'node:fs'
import { openSession } from './lib/session.js'
import { startOurs, type OursOptions, type OursTarget } from './lib/targets.js'
import { startBenchIssuer } from './lib/oidc-issuer.js'
import { h2loadAvailable, runH2load } from './lib/h2load.js'
import { runLoad, latencyProbe, PROBE_BLOCK, type LoadResult, type ProbeResult } from './lib/load.js'
import { kubeRequest, tlsAgent } from './lib/kube-http.js'
import { awaitStandIn, startStaticShard } from './lib/static-shard.js'
import { median, perRunRatios, fmtRatioSpread, pairedDifference, fmt, markdownTable, parseArgs, numberArg, emitReport } from './lib/stats.js'

const args = parseArgs(process.argv.slice(2))
const runs = numberArg(args, 'runs', 3)
const seconds = numberArg(args, 'seconds', 5)
const probeCount = numberArg(args, 'probe', 2000)
const warmupSeconds = numberArg(args, 'warmup', 2)
const connectionLevels = (args.get('connections') ?? '1,50,500').split(',').map(Number)
const pin = args.get('no-pin') !== 'true'
const onlyCases = args.get('cases')?.split(',')
const staticShard = args.get('static-shard') === 'true'
const processes = numberArg(args, 'processes', 1)
const client = args.get('client') ?? 'autocannon'
if (client !== 'autocannon' && client !== 'h1c') throw new Error(`--client: autocannon or h1c, got ${client}`)
if (client === 'h1c' && !h2loadAvailable()) throw new Error('--client h1c: h2load is not installed (apt-get install nghttp2-client)')

const OIDC_CLIENT_ID = 'kcp-bench'
const OIDC_EMAIL = 'bench@example.com'

/** What one target needs from the client, and what the shard must see as the caller. */
const caseName = (c: Case): string => c.label ?? c.target.name
/** The client's TLS options for a case: the proxies' CA, plus the case's client certificate if it has one. */
const clientTlsOf = (c: Case, ca: string): { ca: string; cert?: string; key?: string } => ({ ca, ...(c.cert !== undefined ? { cert: c.cert, key: c.key } : {}) })

type ProxyName = 'ours-none' | 'ours-cert' | 'ours-oidc' | 'ours-ws'
/** A case before its proxy runs: the proxy it goes through, and whether it addresses the workspace whose type brings the WAC. */
type CaseSpec = Omit<Case, 'target'> & { proxy: ProxyName; inWorkspace?: true }
const specName = (c: CaseSpec): string => c.label ?? c.proxy

interface Case {
  /** Row name; default the target's name. */
  label?: string
  target: OursTarget
  headers: Record<string, string>
  cert?: string
  key?: string
  /** Username the shard reports in a SelfSubjectReview made through this target. */
  expectUser: string
  /**
   * The kcp_front_proxy_authentication_total series (method/result) each request must move; undefined
   * for ours-none, whose pipeline skips the authenticator (nothing configured, docs/upstream.md#optional-authentication).
   */
  expectCounter?: string
}

async function main(): Promise<void> {
  if (connectionLevels.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`--connections: expected positive integers, got ${args.get('connections')}`)
  // Every process set must be measured, or its counters cannot prove authentication ran.
  if (!Number.isInteger(processes) || processes < 1 || processes > runs) throw new Error(`--processes: an integer from 1 to --runs (${runs}), got ${args.get('processes')}`)
  const session = await openSession({ pin })
  try {
    const topo = session.topo.info
    const files = topo.files
    const issuer = await startBenchIssuer(session.dir)
    session.defer(() => issuer.close())
    const wsIssuer = await startBenchIssuer(session.dir, 'bench-workspace-idp')
    session.defer(() => wsIssuer.close())
    const wsPath = (await session.topo.request<{ path: string }>('addWorkspaceAuth', { url: wsIssuer.url, ca: wsIssuer.ca, audience: OIDC_CLIENT_ID })).path

    const accept = 'application/json'
    const jwt = await issuer.token({ email: OIDC_EMAIL, email_verified: true, groups: ['bench-readers'] }, { audience: OIDC_CLIENT_ID, ttlSeconds: 3600 })
    // The same JWT, registered at the shard as an opaque admin token: the OIDC proxy's like-for-like
    // baseline. The JWT is ~50× longer than admin-token, and parsing, copying and forwarding those
    // bytes costs every proxy the same whether it verifies them or not.
    await session.topo.request('addToken', { token: jwt, user: 'admin', groups: ['system:masters'] })
    const wsJwt = await wsIssuer.token({ email: OIDC_EMAIL, email_verified: true, groups: ['bench-readers'] }, { audience: OIDC_CLIENT_ID, ttlSeconds: 3600 })
    await session.topo.request('addToken', { token: wsJwt, user: 'admin', groups: ['system:masters'] })
    // The same target, addressed at the workspace whose type brings the WAC.
    const inWorkspace = (t: OursTarget): OursTarget => {
      const clusterURL = t.clusterURL.replace(/\/clusters\/[^/]+$/, `/clusters/${wsPath}`)
      return { ...t, clusterURL, objectURL: clusterURL + topo.objectPath }
    }
    const proxyOptions: Record<ProxyName, OursOptions> = {
      'ours-none': { name: 'ours-none' },
      'ours-cert': { name: 'ours-cert', authentication: { clientCAFile: files.clientCACert } },
      'ours-oidc': {
        name: 'ours-oidc',
        authentication: {
          oidcIssuerURL: issuer.url, oidcClientID: OIDC_CLIENT_ID, oidcCAFile: issuer.caFile,
          oidcUsernameClaim: 'email', oidcUsernamePrefix: 'oidc:', oidcGroupsClaim: 'groups', oidcGroupsPrefix: 'oidc:',
        },
      },
      'ours-ws': { name: 'ours-ws', extra: { featureGates: { WorkspaceAuthentication: true } } },
    }
    const allSpecs: CaseSpec[] = [
      { proxy: 'ours-none', headers: { accept, authorization: `Bearer ${topo.adminToken}` }, expectUser: 'admin' },
      { label: 'ours-none+jwt', proxy: 'ours-none', headers: { accept, authorization: `Bearer ${jwt}` }, expectUser: 'admin' },
      // The emulator's admin certificate: CN=admin, O=system:masters, issued by the client CA.
      // The proxy drops system:masters (default --authentication-drop-groups); any authenticated user may read.
      { proxy: 'ours-cert', headers: { accept }, cert: readFileSync(files.adminCert, 'utf8'), key: readFileSync(files.adminKey, 'utf8'), expectUser: 'admin', expectCounter: 'x509/success' },
      { proxy: 'ours-oidc', headers: { accept, authorization: `Bearer ${jwt}` }, expectUser: `oidc:${OIDC_EMAIL}`, expectCounter: 'oidc/success' },
      { label: 'ours-none+wsjwt', proxy: 'ours-none', inWorkspace: true, headers: { accept, authorization: `Bearer ${wsJwt}` }, expectUser: 'admin' },
      { proxy: 'ours-ws', inWorkspace: true, headers: { accept, authorization: `Bearer ${wsJwt}` }, expectUser: `ws:${OIDC_EMAIL}`, expectCounter: 'workspace/success' },
    ]
    // h2load cannot present a client certificate: with it, the certificate case is left out (asked for by name, refused).
    const measurable = (c: CaseSpec): boolean => client === 'autocannon' || c.cert === undefined
    if (onlyCases?.some((n) => allSpecs.some((c) => specName(c) === n && !measurable(c))) === true) throw new Error('--client h1c: h2load cannot present a client certificate; leave ours-cert out or use autocannon')
    const specs = (onlyCases === undefined ? allSpecs : allSpecs.filter((c) => onlyCases.includes(specName(c)))).filter(measurable)
    /** One process of each proxy the cases go through (no other), and the cases through them. */
    const startSet = async (instance: number): Promise<Case[]> => {
      const proxies = new Map<ProxyName, OursTarget>()
      for (const name of new Set(specs.map((c) => c.proxy))) {
        const t = await startOurs(session.dir, topo, session.serving, { ...proxyOptions[name], instance })
        session.defer(() => t.stop())
        session.pinServer(t.pid)
        proxies.set(name, t)
      }
      return specs.map(({ proxy, inWorkspace: ws, ...c }) => {
        const t = proxies.get(proxy) as OursTarget
        return { ...c, target: ws === true ? inWorkspace(t) : t }
      })
    }
    const sets: Case[][] = []
    for (let i = 0; i < processes; i++) sets.push(await startSet(i))
    const everyCase = sets.flat()
    const cases = sets[0]
    const ca = session.serving.ca
    await sanity(everyCase, ca, jwt)
    process.stderr.write(`sanity: every target answers 200 and authenticates as expected; JWKS fetches ${issuer.jwksFetches}; pinned: ${session.pinned}\n`)
    let shardPid = session.topo.pid
    if (staticShard) {
      const stand = await startStaticShard(session.dir, session.topo, { http2: false })
      session.defer(() => stand.stop())
      session.pinServer(stand.pid)
      await awaitStandIn(everyCase.map((c) => ({ url: c.target.objectURL, headers: c.headers, tls: clientTlsOf(c, ca) })))
      shardPid = stand.pid
    }

    // One load window against a case, from the chosen client; both count requests and read both processes' CPU over the window.
    const load = (c: Case, connections: number, secs: number): Promise<LoadResult> =>
      client === 'h1c'
        ? runH2load({ url: c.target.objectURL, connections, streams: 1, h1: true, seconds: secs, headers: c.headers, proxyPid: c.target.pid, shardPid })
        : runLoad({ url: c.target.objectURL, connections, seconds: secs, headers: c.headers, ...clientTlsOf(c, ca), proxyPid: c.target.pid, shardPid })
    const loads = new Map<string, LoadResult[]>()
    const probes = new Map<string, ProbeResult[]>()
    const invalid: string[] = []
    const push = <T>(m: Map<string, T[]>, k: string, v: T): void => { m.set(k, [...(m.get(k) ?? []), v]) }
    // Unrecorded warm-up against every target: otherwise whichever target goes first pays for the JIT
    // of the load generator and the shard (in development runs the first target's probe latency was always the worst).
    if (warmupSeconds > 0) {
      for (const c of everyCase) {
        const w = await load(c, 50, warmupSeconds)
        if (w.non2xx > 0 || w.errors > 0) process.stderr.write(`WARNING ${caseName(c)} warm-up: ${w.non2xx} non-2xx, ${w.errors} errors\n`)
      }
    }
    const before = await Promise.all(everyCase.map((c) => counter(c.target, c.expectCounter)))
    for (let run = 1; run <= runs; run++) {
      // Interleaved inside each run so drift (other load on the machine) hits all targets alike, and the
      // order rotated from run to run so no target always follows the same neighbour or goes first.
      const set = sets[(run - 1) % sets.length]
      const order = set.map((_c, i) => set[(i + run - 1) % set.length])
      if (probeCount > 0) {
        const probed = await latencyProbe(order.map((c) => ({ name: caseName(c), url: c.target.objectURL, headers: c.headers, ...clientTlsOf(c, ca) })), { warmup: 200, count: probeCount })
        for (const [name, p] of probed) push(probes, name, p)
      }
      // Level by level, so the windows a ratio pairs follow each other (case-major order put 2 × the other
      // levels' windows, ~20 s, of drift between them).
      for (const conns of connectionLevels) {
        for (const c of order) {
          const name = caseName(c)
          const r = await load(c, conns, seconds)
          if (r.non2xx > 0 || r.errors > 0) {
            invalid.push(`${name} c=${conns} run ${run}`)
            process.stderr.write(`WARNING ${name} c=${conns}: ${r.non2xx} non-2xx, ${r.errors} errors — this run is invalid\n`)
          }
          if (r.rampErrors > 0) process.stderr.write(`note ${name} c=${conns}: ${r.rampErrors} errors or timeouts while the connections were set up (before the window)\n`)
          if (r.connectedBeforeWindow < conns) process.stderr.write(`WARNING ${name} c=${conns}: only ${r.connectedBeforeWindow} connections answered before the window opened (handshakes spilled in)\n`)
          push(loads, `${name}@${conns}`, r)
          process.stderr.write(`run ${run} ${name} c=${conns}: ${fmt(r.rps)} req/s, p50 ${r.p50ms} ms, ${fmt(r.reqPerProxyCpuSec)} req/proxy-CPU-s\n`)
        }
      }
    }
    // Authentication must have run during the load, not only on the sanity requests; the report prints how often.
    const after = await Promise.all(everyCase.map((c) => counter(c.target, c.expectCounter)))
    const countLines = everyCase.flatMap((c, i) => (c.expectCounter === undefined ? [] : [`${caseName(c)}${processes > 1 ? ` (process ${Math.floor(i / cases.length) + 1})` : ''}: ${c.expectCounter} +${fmt(after[i] - before[i])}`]))
    if (loads.size > 0 && everyCase.some((c, i) => c.expectCounter !== undefined && after[i] - before[i] === 0)) throw new Error(`authentication counters did not move during the load: ${countLines.join(', ')}`)

    const med = (k: string, f: (r: LoadResult) => number): number => median((loads.get(k) ?? []).map(f))
    const rows = cases.flatMap((c) => connectionLevels.map((conns) => {
      const k = `${caseName(c)}@${conns}`
      return [caseName(c), String(conns), fmt(med(k, (r) => r.rps)), fmt(med(k, (r) => r.p50ms)), fmt(med(k, (r) => r.p99ms)),
        fmt(med(k, (r) => r.reqPerProxyCpuSec)), fmt(med(k, (r) => r.reqPerShardCpuSec))]
    }))
    const cpuRuns = (name: string, conns: number): number[] => (loads.get(`${name}@${conns}`) ?? []).map((r) => r.reqPerProxyCpuSec)
    // The verdict judges the unrounded median, so it names that value: a cell printing 0.85 can be 0.848.
    const verdict = (x: number): string => (Number.isFinite(x) ? `${x >= 0.85 ? 'meets ≥ 0.85' : 'below 0.85'} (${fmt(x, 3)})` : '—')
    const ratioRows = connectionLevels.map((conns) => {
      const pair = (a: string, b: string): [number, string] => {
        const rs = perRunRatios(cpuRuns(a, conns), cpuRuns(b, conns))
        return [median(rs), fmtRatioSpread(rs)]
      }
      const [rc, rcCell] = pair('ours-cert', 'ours-none')
      const [ro, roCell] = pair('ours-oidc', 'ours-none+jwt')
      const [, rsCell] = pair('ours-oidc', 'ours-none')
      const [rw, rwCell] = pair('ours-ws', 'ours-none+wsjwt')
      return [String(conns), rcCell, verdict(rc), roCell, verdict(ro), rsCell, rwCell, verdict(rw)]
    })
    const p50s = (name: string): number[] => (probes.get(name) ?? []).map((p) => p.p50us)
    const probeRows = cases.map((c) => {
      const ps = probes.get(caseName(c)) ?? []
      const base = c.target.name === 'ours-oidc' ? 'ours-none+jwt' : c.target.name === 'ours-ws' ? 'ours-none+wsjwt' : 'ours-none'
      return [caseName(c), fmt(median(ps.map((p) => p.p50us))), fmt(median(ps.map((p) => p.p99us))), fmt(pairedDifference(p50s(caseName(c)), p50s(base)))]
    })

    const report = [
      `## Authentication through the proxy — ${new Date().toISOString()}`,
      `node ${process.version}, ${runs} runs × ${seconds} s per level (` +
        (client === 'h1c' ? 'h2load --h1 after its warm-up time; the p50 column is its mean, p99 not reported' : 'autocannon, each after a ramp-up until every connection has answered, at least 1 s') +
        `), medians; ${processes > 1 ? `${processes} processes of each proxy, run r on set (r - 1) mod ${processes}; ` : ''}CPU pinned: ${session.pinned}` +
        (staticShard ? '; shard: nginx answering the GET itself (--static-shard), its CPU in the shard column' : ''),
      '',
      markdownTable(['target', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'req per proxy CPU-s', 'req per shard CPU-s'], rows),
      '',
      'Requests per proxy CPU-second, ratio to the unauthenticated proxy (median of the per-run ratios, with their 25th–75th percentile; target ≥ 0.85):',
      '',
      markdownTable(['connections', 'cert / none', 'verdict', 'oidc / none+jwt (same request bytes)', 'verdict', 'oidc / none (short token)', 'ws / none+wsjwt (workspace token)', 'verdict'], ratioRows),
      ...(probeCount > 0
        ? ['', `Latency at 1 connection (sequential undici probe, ${probeCount} GETs per target and run, the targets interleaved in blocks of ${PROBE_BLOCK}), µs:`, '',
          markdownTable(['target', 'p50 µs', 'p99 µs', 'added p50 over its baseline (none; none+jwt for oidc; none+wsjwt for ws), median of the per-run differences'], probeRows)]
        : []),
      '',
      `Authenticated at the proxy during the load: ${countLines.join(', ')}.`,
      invalid.length > 0 ? `\n**WARNING: invalid runs (non-2xx or errors): ${invalid.join(', ')}**` : '',
    ].join('\n')
    emitReport(report, args, { loads, probes })
  } finally {
    await session.close()
  }
}

async function counter(t: OursTarget, series: string | undefined): Promise<number> {
  if (series === undefined) return 0
  const counts = await t.child.request<Record<string, number>>('authCounts')
  return counts[series] ?? 0
}

/**
 * A benchmark where authentication silently does not run is worthless, so before measuring:
 * the configmap GET answers 200 through every target, the shard sees the expected user (a
 * SelfSubjectReview through the target), the proxy's authentication counter for the method under
 * test moves, and the OIDC proxy refuses a token whose signature was tampered with.
 */
async function sanity(cases: Case[], ca: string, jwt: string): Promise<void> {
  for (const c of cases) {
    const name = caseName(c)
    const agent = tlsAgent({ ca, cert: c.cert, key: c.key })
    try {
      const n0 = await counter(c.target, c.expectCounter)
      const get = await kubeRequest(agent, c.target.objectURL, { headers: c.headers })
      if (get.status !== 200) throw new Error(`${name}: GET ${c.target.objectURL} → HTTP ${get.status}: ${get.text.slice(0, 300)}`)
      const review = await kubeRequest<{ status?: { userInfo?: { username?: string } } }>(agent, `${c.target.clusterURL}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
        method: 'POST', headers: c.headers, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      })
      const user = review.body.status?.userInfo?.username
      if (review.status !== 201 && review.status !== 200) throw new Error(`${name}: SelfSubjectReview → HTTP ${review.status}: ${review.text.slice(0, 300)}`)
      if (user !== c.expectUser) throw new Error(`${name}: the shard sees user ${JSON.stringify(user)}, expected ${JSON.stringify(c.expectUser)}`)
      const n1 = await counter(c.target, c.expectCounter)
      if (c.expectCounter !== undefined && n1 - n0 < 2) throw new Error(`${name}: kcp_front_proxy_authentication_total{${c.expectCounter}} moved by ${n1 - n0} for 2 requests: authentication did not run as configured`)
    } finally {
      await agent.close()
    }
  }
  const oidc = cases.find((c) => c.target.name === 'ours-oidc')
  if (oidc) {
    const [h, p, s] = jwt.split('.')
    const forged = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`
    const agent = tlsAgent({ ca })
    try {
      const r = await kubeRequest(agent, oidc.target.objectURL, { headers: { accept: 'application/json', authorization: `Bearer ${forged}` } })
      if (r.status !== 401) throw new Error(`ours-oidc: a token with a tampered signature got HTTP ${r.status}, expected 401: the OIDC check is not running`)
    } finally {
      await agent.close()
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`)
  process.exitCode = 1
})
