import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { completeOptions } from '../../src/config/complete.js'
import { parseArgs } from '../../src/config/parse.js'
import { normalizeEndpoint, parseTracingConfig } from '../../src/config/tracing-file.js'
import { validateOptions } from '../../src/config/validate.js'

const head = 'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: TracingConfiguration\n'

t.test('a TracingConfiguration in every apiVersion kube-apiserver reads, defaults as upstream', async (t) => {
  const cases: [string, string, object][] = [
    ['v1alpha1, nothing set: localhost:4317, rate 0', 'apiVersion: apiserver.config.k8s.io/v1alpha1\nkind: TracingConfiguration\n', { endpoint: 'localhost:4317', samplingRatePerMillion: 0 }],
    ['v1beta1 (kcp#3463\'s example)', `${head}endpoint: collector.svc.cluster.local:4317\nsamplingRatePerMillion: 100\n`, { endpoint: 'collector.svc.cluster.local:4317', samplingRatePerMillion: 100 }],
    ['v1, JSON', '{"apiVersion":"apiserver.config.k8s.io/v1","kind":"TracingConfiguration","samplingRatePerMillion":1000000}', { endpoint: 'localhost:4317', samplingRatePerMillion: 1_000_000 }],
    ['http:// prefix dropped', `${head}endpoint: http://10.0.0.1:4317\n`, { endpoint: '10.0.0.1:4317' }],
    ['IPv6', `${head}endpoint: "[::1]:4317"\n`, { endpoint: '[::1]:4317' }],
  ]
  for (const [name, text, want] of cases) {
    const r = parseTracingConfig(text, 'tracing.yaml')
    t.same(r.errors, [], name)
    t.match(r.config, want, name)
  }
})

t.test('a bad TracingConfiguration is refused with every error named by file, line and field', async (t) => {
  const cases: [string, string, string[]][] = [
    ['wrong apiVersion', 'apiVersion: v1\nkind: TracingConfiguration\n', ['f.yaml:1: apiVersion: expected one of apiserver.config.k8s.io/v1alpha1, apiserver.config.k8s.io/v1beta1, apiserver.config.k8s.io/v1, got "v1"']],
    ['wrong kind', 'apiVersion: apiserver.config.k8s.io/v1\nkind: Tracing\n', ['f.yaml:2: kind: expected TracingConfiguration, got "Tracing"']],
    ['missing apiVersion and kind', 'endpoint: a:1\n', ['f.yaml:1: apiVersion: required (apiserver.config.k8s.io/v1alpha1, apiserver.config.k8s.io/v1beta1, apiserver.config.k8s.io/v1)', 'f.yaml:1: kind: required (TracingConfiguration)']],
    ['rate above a million', `${head}samplingRatePerMillion: 1000001\n`, ['f.yaml:3: samplingRatePerMillion: must be between 0 and 1000000, got 1000001']],
    ['negative rate', `${head}samplingRatePerMillion: -1\n`, ['f.yaml:3: samplingRatePerMillion: must be between 0 and 1000000, got -1']],
    ['rate not an integer', `${head}samplingRatePerMillion: "100"\n`, ['f.yaml:3: samplingRatePerMillion: expected an integer']],
    ['fractional rate', `${head}samplingRatePerMillion: 0.5\n`, ['f.yaml:3: samplingRatePerMillion: expected an integer']],
    ['endpoint without port', `${head}endpoint: collector\n`, ['f.yaml:3: endpoint: expected host:port, got "collector"']],
    ['TLS endpoint', `${head}endpoint: https://collector:4317\n`, [/only plaintext host:port is supported/ as unknown as string]],
    ['endpoint not a string', `${head}endpoint: 4317\n`, ['f.yaml:3: endpoint: expected a string']],
    ['unknown field, two errors at once', `${head}sampling: 5\nendpoint: x\n`, ['f.yaml:3: sampling: unknown field (known: apiVersion, kind, endpoint, samplingRatePerMillion)', 'f.yaml:4: endpoint: expected host:port, got "x"']],
    ['a list', '- a\n', ['f.yaml:1: expected a TracingConfiguration object']],
    ['YAML syntax', `${head}endpoint: [a\n`, [/^f\.yaml:\d+: Flow sequence/ as unknown as string]],
  ]
  for (const [name, text, want] of cases) {
    const r = parseTracingConfig(text, 'f.yaml')
    t.equal(r.config, undefined, `${name}: no config`)
    t.match(r.errors, want, name)
    t.equal(r.errors.length, want.length, `${name}: ${want.length} error(s)`)
  }
})

t.test('normalizeEndpoint: host:port forms only', async (t) => {
  const cases: [string, string | undefined][] = [
    ['localhost:4317', 'localhost:4317'], ['127.0.0.1:1', '127.0.0.1:1'], ['http://c:4317/', 'c:4317'],
    ['c:0', undefined], ['c:65536', undefined], ['grpc://c:4317', undefined], ['c:4317/path', undefined], [':4317', undefined],
  ]
  for (const [raw, want] of cases) {
    const r = normalizeEndpoint(raw)
    t.equal('endpoint' in r ? r.endpoint : undefined, want, raw)
  }
})

t.test('--tracing-config-file: loaded by complete(), its errors reported by validateOptions() with the flag', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-tracing-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const f of ['mapping.yaml', 'root.kubeconfig', 'shards.kubeconfig']) writeFileSync(join(dir, f), 'x')
  writeFileSync(join(dir, 'good.yaml'), `${head}endpoint: otel:4317\nsamplingRatePerMillion: 10000\n`)
  writeFileSync(join(dir, 'bad.yaml'), `${head}samplingRatePerMillion: 2000000\n`)
  const args = (...more: string[]) => {
    const r = parseArgs(['--mapping-file=mapping.yaml', '--root-kubeconfig=root.kubeconfig', '--shards-kubeconfig=shards.kubeconfig', ...more])
    t.same(r.errors, [])
    return completeOptions(r.input, 'cli', { cwd: dir })
  }
  const off = args()
  t.equal(off.extra.tracing, undefined, 'no flag: tracing off')
  t.same(validateOptions(off), [])
  const on = args('--tracing-config-file=good.yaml')
  t.same(on.extra.tracing, { endpoint: 'otel:4317', samplingRatePerMillion: 10000 })
  t.equal(on.extra.tracingConfigFile, join(dir, 'good.yaml'), 'path made absolute')
  t.same(validateOptions(on), [])
  const bad = args('--tracing-config-file=bad.yaml')
  t.equal(bad.extra.tracing, undefined)
  t.same(validateOptions(bad), [`--tracing-config-file: ${join(dir, 'bad.yaml')}:3: samplingRatePerMillion: must be between 0 and 1000000, got 2000000`])
  t.match(validateOptions(args('--tracing-config-file=missing.yaml')), [/^--tracing-config-file: cannot read .*missing\.yaml: ENOENT/])
})
