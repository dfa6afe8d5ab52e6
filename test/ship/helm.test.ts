// The Helm chart, validated three ways:
// 1. always: values files against values.schema.json with a small draft-07 validator (good
//    sets pass, bad sets fail naming the field), and the Grafana dashboard against the
//    metrics a real proxy registers (names and label names);
// 2. with a `helm` binary on PATH (or $HELM_BIN; .ci/run installs one): `helm lint`,
//    `helm template` of several value sets, every rendered flag parsed by our own CLI parser
//    and validated, and bad values rejected by helm's schema check.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { parseArgs } from '../../src/config/parse.js'
import { parseTracingConfig } from '../../src/config/tracing-file.js'
import { startTopology } from '../../src/emulator/index.js'
import { createFrontProxy } from '../../src/server/index.js'

t.setTimeout(240_000)
const chart = join(process.cwd(), 'helm/kcp-front-proxy')
const read = (f: string): string => readFileSync(join(chart, f), 'utf8')
type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Schema = { [k: string]: unknown }

/** The draft-07 subset values.schema.json uses; errors carry the value's path. */
function validate(schema: Schema, v: Json, path = '$'): string[] {
  const errs: string[] = []
  const typeOf = (x: Json): string => (x === null ? 'null' : Array.isArray(x) ? 'array' : Number.isInteger(x) ? 'integer' : typeof x)
  if (schema.type !== undefined) {
    const types = ([] as string[]).concat(schema.type as string | string[])
    const actual = typeOf(v)
    if (!types.some((ty) => ty === actual || (ty === 'number' && actual === 'integer'))) return [`${path}: expected ${types.join('|')}, got ${actual}`]
  }
  if (schema.enum !== undefined && !(schema.enum as Json[]).some((e) => e === v)) errs.push(`${path}: ${JSON.stringify(v)} not one of ${JSON.stringify(schema.enum)}`)
  if (typeof v === 'string') {
    if (typeof schema.minLength === 'number' && v.length < schema.minLength) errs.push(`${path}: shorter than ${schema.minLength}`)
    if (typeof schema.maxLength === 'number' && v.length > schema.maxLength) errs.push(`${path}: longer than ${schema.maxLength}`)
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) errs.push(`${path}: ${JSON.stringify(v)} does not match ${schema.pattern}`)
  }
  if (typeof v === 'number') {
    if (typeof schema.minimum === 'number' && v < schema.minimum) errs.push(`${path}: ${v} < minimum ${schema.minimum}`)
    if (typeof schema.maximum === 'number' && v > schema.maximum) errs.push(`${path}: ${v} > maximum ${schema.maximum}`)
  }
  if (Array.isArray(v)) {
    if (typeof schema.minItems === 'number' && v.length < schema.minItems) errs.push(`${path}: fewer than ${schema.minItems} items`)
    if (schema.items) v.forEach((x, i) => errs.push(...validate(schema.items as Schema, x, `${path}[${i}]`)))
  } else if (v !== null && typeof v === 'object') {
    const props = (schema.properties ?? {}) as Record<string, Schema>
    for (const r of (schema.required ?? []) as string[]) if (!(r in v)) errs.push(`${path}.${r}: required`)
    for (const [k, x] of Object.entries(v)) {
      if (props[k]) errs.push(...validate(props[k], x, `${path}.${k}`))
      else if (schema.additionalProperties === false) errs.push(`${path}.${k}: unknown key`)
      else if (typeof schema.additionalProperties === 'object') errs.push(...validate(schema.additionalProperties as Schema, x, `${path}.${k}`))
    }
  }
  return errs
}

/** Helm's coalescing: maps merge deeply, anything else replaces, null deletes. */
function merge(base: Json, over: Json): Json {
  if (base === null || over === null || typeof base !== 'object' || typeof over !== 'object' || Array.isArray(base) || Array.isArray(over)) return over
  const out: Record<string, Json> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k]
    else out[k] = k in out ? merge(out[k], v) : v
  }
  return out
}

const schema = JSON.parse(read('values.schema.json')) as Schema
const defaults = parse(read('values.yaml')) as Json
const full = parse(read('ci/full-values.yaml')) as Json

const badSets: [string, Json, RegExp][] = [
  ['port out of range', { securePort: 70000 }, /\$\.securePort: 70000 > maximum 65535/],
  ['unknown service type', { service: { type: 'Ingress' } }, /\$\.service\.type: "Ingress" not one of/],
  ['typo in a top-level key', { replicas: 3 }, /\$\.replicas: unknown key/],
  ['typo in a nested key', { shutdown: { delay: 5 } }, /\$\.shutdown\.delay: unknown key/],
  ['goaway chance too high', { goawayChance: 0.5 }, /\$\.goawayChance: 0\.5 > maximum 0\.02/],
  ['no connections to the shards', { backendMaxConnections: 0 }, /\$\.backendMaxConnections: 0 < minimum 1/],
  ['an unknown protocol to the shards', { backendProtocol: 'h3' }, /\$\.backendProtocol: "h3" not one of/],
  ['a negative worker count', { workers: -1 }, /\$\.workers: -1 < minimum 0/],
  ['a zero body deadline', { requestBody: { timeoutSeconds: 0 } }, /\$\.requestBody\.timeoutSeconds: 0 < minimum 1/],
  ['a negative queue', { backendQueue: { size: -1 } }, /\$\.backendQueue\.size: -1 < minimum 0/],
  ['mapping entry without backend', { mapping: [{ path: '/clusters/' }] }, /\$\.mapping\[0\]\.backend: required/],
  ['mapping path not absolute', { mapping: [{ path: 'clusters/', backend: 'https://x' }] }, /\$\.mapping\[0\]\.path: .* does not match/],
  ['HS256 for OIDC', { authentication: { oidc: { signingAlgs: ['HS256'] } } }, /signingAlgs\[0\]: "HS256" not one of/],
  ['plain-http OIDC issuer', { authentication: { oidc: { issuerURL: 'http://idp' } } }, /issuerURL: "http:\/\/idp" does not match/],
  ['empty root kubeconfig secret', { kubeconfigs: { rootSecret: '' } }, /\$\.kubeconfigs\.rootSecret: shorter than 1/],
  ['a shard peer secret that is no Secret name', { kubeconfigs: { shardPeerSecrets: ['Peer_A'] } }, /\$\.kubeconfigs\.shardPeerSecrets\[0\]: "Peer_A" does not match/],
  ['a tracing rate above a million', { tracing: { enabled: true, samplingRatePerMillion: 1000001 } }, /\$\.tracing\.samplingRatePerMillion: 1000001 > maximum 1000000/],
  ['a tracing endpoint with a scheme', { tracing: { enabled: true, endpoint: 'https://otel:4317' } }, /\$\.tracing\.endpoint: "https:\/\/otel:4317" does not match/],
  ['replicas as a string', { replicaCount: 'two' }, /\$\.replicaCount: expected integer, got string/],
  ['extraArgs not flags', { extraArgs: ['serve'] }, /\$\.extraArgs\[0\]: "serve" does not match/],
]

t.test('values.yaml and the CI value sets satisfy values.schema.json', async (t) => {
  t.same(validate(schema, defaults), [], 'defaults')
  t.same(validate(schema, merge(defaults, full)), [], 'ci/full-values.yaml')
})

t.test('bad values fail the schema, naming the field', async (t) => {
  for (const [name, over, want] of badSets) {
    const errs = validate(schema, merge(defaults, over))
    t.ok(errs.some((e) => want.test(e)), `${name}: ${JSON.stringify(errs)}`)
  }
})

t.test('Chart.yaml and the values files are valid YAML with the expected identity', async (t) => {
  t.match(parse(read('Chart.yaml')), { apiVersion: 'v2', name: 'kcp-front-proxy', type: 'application' })
  for (const f of ['values.yaml', 'ci/full-values.yaml']) t.doesNotThrow(() => parse(read(f)), f)
})

t.test('the Grafana dashboard uses only metrics and labels a running proxy registers, and covers the brief', async (t) => {
  const dash = JSON.parse(read('dashboards/kcp-front-proxy.json')) as { uid: string; panels: { type: string; title: string; targets?: { expr: string }[] }[] }
  t.equal(dash.uid, 'kcp-front-proxy')
  const exprs = dash.panels.flatMap((p) => p.targets ?? []).map((x) => x.expr)
  t.ok(exprs.length >= 15, 'has queries')

  const dir = mkdtempSync(join(tmpdir(), 'fp-helm-metrics-'))
  const topo = await startTopology({ shards: ['root'] })
  t.teardown(async () => { await topo.close(); rmSync(dir, { recursive: true, force: true }) })
  const f = await topo.writeFiles(dir)
  // Tracing on (sampling 0, nothing exported) so its metric families are registered too.
  const tracing = join(dir, 'tracing.yaml')
  writeFileSync(tracing, 'apiVersion: apiserver.config.k8s.io/v1\nkind: TracingConfiguration\nendpoint: 127.0.0.1:4317\nsamplingRatePerMillion: 0\n')
  const proxy = await createFrontProxy({
    proxy: { mappingFile: f.mappingYaml, rootKubeconfig: f.rootKubeconfig, shardsKubeconfig: f.shardsKubeconfig, rootDirectory: dir },
    authentication: { clientCAFile: f.clientCACert },
    extra: { tracingConfigFile: tracing },
  })
  t.teardown(() => proxy.close())

  const metricOf = (name: string): { labelNames?: string[] } | undefined =>
    proxy.registry.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined
  const builtin = new Set(['le', 'pod', 'namespace', 'job', 'instance'])
  for (const expr of exprs) {
    const names = [...expr.matchAll(/\b((?:kcp|proxy)_[a-z_]+)\b/g)].map((m) => m[1])
    t.ok(names.length > 0, `query uses a proxy metric: ${expr}`)
    for (const raw of names) {
      const name = raw.replace(/_(bucket|count|sum)$/, '')
      const m = metricOf(name) ?? metricOf(raw)
      t.ok(m, `${raw} is registered by the proxy`)
      const labels = new Set(m?.labelNames ?? [])
      const used = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((g) => (g[1]).split(',').map((s) => s.trim()))
      const selectors = [...expr.matchAll(new RegExp(`${raw}\\{([^}]*)\\}`, 'g'))].flatMap((g) => [...(g[1]).matchAll(/(\w+)\s*[=!]~?/g)].map((l) => l[1]))
      for (const l of [...used, ...selectors]) if (!builtin.has(l)) t.ok(labels.has(l), `${name} has label ${l}`)
    }
  }
  const all = exprs.join('\n')
  for (const needed of [
    'proxy_request_duration_seconds', 'kcp_listener_tls_connection_error', 'kcp_backend_rq_body_bytes', 'kcp_backend_rs_body_bytes',
    'kcp_indexed_logicalclusters', 'kcp_front_proxy_active_watches', 'kcp_front_proxy_active_tunnels', 'kcp_front_proxy_upstream_errors_total',
    'kcp_front_proxy_watch_restarts_total', 'kcp_front_proxy_relists_total', 'kcp_front_proxy_index_propagation_seconds', 'kcp_front_proxy_authentication_total',
    'kcp_front_proxy_flowcontrol_rejected_requests_total', 'kcp_front_proxy_tracing_spans_dropped_total',
  ]) t.ok(all.includes(needed), `dashboard shows ${needed}`)
})

// ── with a real helm ────────────────────────────────────────────────────────────
function helm(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.env.HELM_BIN ?? 'helm', args, { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 127) : 0, out: stdout + stderr })
    })
  })
}

/** Path into parsed YAML without `any`: dig(doc, 'spec', 'template', 'spec'). */
function dig(v: unknown, ...keys: (string | number)[]): unknown {
  let cur = v
  for (const k of keys) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[k] : undefined
  return cur
}

const helmVersion = await helm(['version', '--short'])
const noHelm = helmVersion.code !== 0 ? 'no helm binary (.ci/run installs one; or set HELM_BIN); schema and dashboard were still checked above' : false

t.test('helm lint and helm template with several value sets', { skip: noHelm }, async (t) => {
  t.comment(`helm ${helmVersion.out.trim()}`)
  const tmp = mkdtempSync(join(tmpdir(), 'fp-helm-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))
  const lint = await helm(['lint', chart, '--strict'])
  t.equal(lint.code, 0, 'helm lint --strict', { output: lint.out })
  const lintFull = await helm(['lint', chart, '--strict', '-f', join(chart, 'ci/full-values.yaml')])
  t.equal(lintFull.code, 0, 'helm lint --strict with ci/full-values.yaml', { output: lintFull.out })

  async function render(name: string, extra: string[]): Promise<Record<string, unknown>> {
    // --kube-version: a go-installed helm defaults to an old version without release ldflags.
    const r = await helm(['template', 'fp', chart, '--namespace', 'kcp', '--kube-version', '1.31.0', ...extra])
    t.equal(r.code, 0, `helm template (${name})`, { output: r.out.slice(-3000) })
    const docs = parseAllDocuments(r.out).map((d) => d.toJSON() as unknown).filter((d) => d !== null)
    // Keyed by kind; ConfigMaps (mapping, dashboard) by kind/name.
    return Object.fromEntries(docs.map((d) => {
      const kind = String(dig(d, 'kind'))
      return [kind === 'ConfigMap' ? `ConfigMap/${String(dig(d, 'metadata', 'name'))}` : kind, d]
    }))
  }

  const check = (name: string, docs: Record<string, unknown>): void => {
    const dep = docs.Deployment
    t.ok(dep, `${name}: a Deployment`)
    const pod = dig(dep, 'spec', 'template', 'spec')
    const c = dig(pod, 'containers', 0)
    const parsed = parseArgs((dig(c, 'args') as string[] | undefined) ?? [])
    t.same(parsed.errors, [], `${name}: every rendered flag parses with the proxy's own parser`)
    t.equal(dig(c, 'securityContext', 'readOnlyRootFilesystem'), true, `${name}: read-only root fs`)
    t.equal(dig(pod, 'securityContext', 'runAsNonRoot'), true, `${name}: non-root`)
    t.equal(dig(c, 'readinessProbe', 'httpGet', 'path'), '/readyz')
    t.equal(dig(c, 'livenessProbe', 'httpGet', 'scheme'), 'HTTPS')
    const pre = (dig(c, 'lifecycle', 'preStop', 'sleep', 'seconds') as number | undefined) ?? 0
    const ex = parsed.input.extra ?? {}
    t.equal(dig(pod, 'terminationGracePeriodSeconds'), pre + (ex.shutdownDelaySeconds ?? 0) + (ex.shutdownTimeoutSeconds ?? 0) + 5,
      `${name}: grace period = preStop sleep + shutdown delay + timeout + margin`)
    t.match(dig(dep, 'spec', 'template', 'metadata', 'annotations'), { 'checksum/mapping': /^[0-9a-f]{64}$/ }, `${name}: mapping checksum annotation`)
    const mapping: unknown = parse((dig(docs['ConfigMap/fp-kcp-front-proxy-mapping'], 'data', 'mapping.yaml') as string | undefined) ?? '[]')
    t.ok(Array.isArray(mapping) && mapping.length > 0, `${name}: mapping ConfigMap holds the mapping list`)
  }

  const def = await render('defaults', [])
  check('defaults', def)
  t.ok(def.PodDisruptionBudget, 'defaults: PDB')
  t.notOk(def.HorizontalPodAutoscaler, 'defaults: no HPA')
  const defArgs = dig(def.Deployment, 'spec', 'template', 'spec', 'containers', 0, 'args') as string[]
  t.ok(defArgs.includes('--backend-protocol=auto'), 'defaults: short requests on HTTP/1.1, watches multiplexed on HTTP/2')
  t.ok(defArgs.includes('--workers=1'), 'defaults: one worker for the 250m CPU request (not the node\'s cores)')
  for (const [set, want] of [['resources.limits.cpu=2', 2], ['resources.requests.cpu=1500m', 2], ['workers=3', 3]] as const) {
    const r = await render(`--set ${set}`, ['--set', set])
    t.ok((dig(r.Deployment, 'spec', 'template', 'spec', 'containers', 0, 'args') as string[]).includes(`--workers=${want}`), `${set}: --workers=${want}`)
  }
  const legacy = await render('older backendHttp2 value', ['--set', 'backendHttp2=true'])
  t.ok((dig(legacy.Deployment, 'spec', 'template', 'spec', 'containers', 0, 'args') as string[]).includes('--backend-protocol=http2'), 'backendHttp2: true still means HTTP/2 for everything')

  const all = await render('full', ['-f', join(chart, 'ci/full-values.yaml')])
  check('full', all)
  for (const kind of ['HorizontalPodAutoscaler', 'ServiceMonitor', 'NetworkPolicy', 'PodDisruptionBudget', 'ServiceAccount']) t.ok(all[kind], `full: ${kind}`)
  t.equal(dig(all.Service, 'spec', 'type'), 'LoadBalancer')
  t.notOk(dig(all.Deployment, 'spec', 'replicas'), 'full: replicas left to the HPA')
  const args = dig(all.Deployment, 'spec', 'template', 'spec', 'containers', 0, 'args') as string[]
  for (const flag of ['--tls-cert-file=', '--client-ca-file=', '--requestheader-client-ca-file=', '--oidc-issuer-url=https://idp.example.com',
    '--oidc-required-claim=hd=example.com', '--service-account-key-file=/etc/kcp-front-proxy/service-account-keys/alpha.pub', '--authentication-drop-groups=',
    '--token-auth-file=', '--goaway-chance=0.001', '--backend-protocol=http2', '--backend-max-connections=256', '--backend-queue-size=500', '--backend-queue-timeout=5s', '--request-body-timeout=30s', '--request-body-buffer-size=1048576', '--metrics-bind-address=0.0.0.0:9090', '--tls-min-version=VersionTLS13']) {
    t.ok(args.some((a) => a.startsWith(flag)), `full: ${flag}`)
  }
  const pod = dig(all.Deployment, 'spec', 'template', 'spec')
  for (const [i, secret] of ['kcp-peer-alpha', 'kcp-peer-beta'].entries()) {
    t.ok(args.includes(`--shard-peer-kubeconfig=/etc/kcp-front-proxy/shard-peer-${i}/kubeconfig`), `full: --shard-peer-kubeconfig #${i}`)
    t.ok((dig(pod, 'volumes') as { name: string; secret?: { secretName: string } }[]).some((v) => v.name === `shard-peer-${i}` && v.secret?.secretName === secret), `full: peer secret ${secret} mounted`)
  }
  t.notOk(defArgs.some((a) => a.startsWith('--shard-peer-kubeconfig')), 'defaults: no peers')
  t.ok(args.includes('--tracing-config-file=/etc/kcp-front-proxy/tracing/tracing.yaml'), 'full: --tracing-config-file')
  t.ok((dig(pod, 'volumes') as { name: string; configMap?: { name: string } }[]).some((v) => v.name === 'tracing' && v.configMap?.name === 'fp-kcp-front-proxy-tracing'), 'full: tracing ConfigMap mounted')
  const tracingFile = parseTracingConfig(dig(all['ConfigMap/fp-kcp-front-proxy-tracing'], 'data', 'tracing.yaml') as string, 'tracing.yaml')
  t.same(tracingFile, { config: { endpoint: 'otel-collector.observability.svc:4317', samplingRatePerMillion: 10000 }, errors: [] }, 'full: the rendered TracingConfiguration is one the proxy accepts')
  t.notOk(defArgs.some((a) => a.startsWith('--tracing-config-file')), 'defaults: no tracing')
  t.notOk(def['ConfigMap/fp-kcp-front-proxy-tracing'], 'defaults: no tracing ConfigMap')
  const dashboardCM = Object.values(await render('dashboard', ['--set', 'grafanaDashboard.enabled=true', '--show-only', 'templates/dashboard-configmap.yaml']))[0]
  t.equal(dig(dashboardCM, 'metadata', 'labels', 'grafana_dashboard'), '1', 'dashboard ConfigMap has the sidecar label')
  t.equal(dig(JSON.parse(dig(dashboardCM, 'data', 'kcp-front-proxy.json') as string), 'uid'), 'kcp-front-proxy', 'dashboard JSON shipped intact')

  const other = await render('changed mapping', ['--set', 'mapping[0].path=/clusters/', '--set', 'mapping[0].backend=https://other:6443'])
  const checksum = (docs: Record<string, unknown>): unknown => dig(docs.Deployment, 'spec', 'template', 'metadata', 'annotations', 'checksum/mapping')
  t.not(checksum(other), checksum(def), 'a mapping change changes the checksum (pods roll)')

  for (const [name, over, want] of badSets) {
    const file = join(tmp, `${name.replace(/\W+/g, '-')}.yaml`)
    writeFileSync(file, JSON.stringify(over))
    const r = await helm(['template', 'fp', chart, '--kube-version', '1.31.0', '-f', file])
    t.not(r.code, 0, `helm refuses: ${name}`)
    t.match(r.out, /values don't meet the specifications of the schema|schema/i, `${name}: schema error`, { output: r.out.slice(0, 500), want: want.source })
  }
})
