import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { prepare, main } from '../src/cli.js'
import { parseArgs } from '../src/config/index.js'
import { createFrontProxy } from '../src/server/index.js'
import { startTopology } from '../src/emulator/index.js'
import { caFromPair, issueLoopbackServerCert } from '../src/pki/index.js'
import { cliTopology, runCli, startCli } from './fixtures/cli-topology.js'
import { eventually } from './fixtures/eventually.js'

/** A child compiling TypeScript on start is slow on a loaded machine. */
const SLOW_START = { timeoutMs: 60_000, intervalMs: 200 }

function io(): { stdout: PassThrough; stderr: PassThrough; out(): string; err(): string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let o = ''
  let e = ''
  stdout.on('data', (d: Buffer) => { o += d.toString() })
  stderr.on('data', (d: Buffer) => { e += d.toString() })
  return { stdout, stderr, out: () => o, err: () => e }
}

t.test('--help prints the flag sections and exits 0, even next to other flags', async (t) => {
  for (const argv of [['--help'], ['-h'], ['--secure-port=1', '--help']]) {
    const s = io()
    t.same(prepare(argv, s), { exit: 0 }, argv.join(' '))
    t.match(s.out(), /Secure-serving flags:[\s\S]*Authentication flags:[\s\S]*Proxy flags:[\s\S]*Logging flags:[\s\S]*Kcp flags:[\s\S]*Global flags:/)
    t.equal(s.err(), '')
  }
})

t.test('--version prints the package version; =raw prints JSON', async (t) => {
  const s = io()
  t.same(prepare(['--version'], s), { exit: 0 })
  t.match(s.out(), /^kcp-front-proxy v\d+\.\d+\.\d+ \(node v\d+/)
  const r = io()
  prepare(['--version=raw'], r)
  t.match(JSON.parse(r.out()), { gitVersion: /^v\d/, nodeVersion: process.version })
})

t.test('flag errors and option errors are all printed, exit code 2', async (t) => {
  const s = io()
  t.same(prepare(['--nope', '--secure-port=x', '-v=y'], s), { exit: 2 })
  t.match(s.err(), /^Error: unknown flag: --nope\nError: invalid argument "x" for "--secure-port" flag.*\nError: invalid argument "y" for "-v, --v" flag.*\nRun 'kcp-front-proxy --help' for usage\.\n$/)
  const v = io()
  t.same(prepare(['--v=4'], v), { exit: 2 })
  t.match(v.err(), /Error: --mapping-file is required\n[\s\S]*Error: --shards-kubeconfig is required\n/)
})

t.test('valid flags give completed cli-mode options', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fp-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const topo = await startTopology({ shards: ['root'] })
  t.teardown(() => topo.close())
  const f = await topo.writeFiles(dir)
  const r = prepare([`--mapping-file=${f.mappingYaml}`, `--root-kubeconfig=${f.rootKubeconfig}`, `--shards-kubeconfig=${f.shardsKubeconfig}`], io())
  t.ok('options' in r)
  if ('options' in r) t.match(r.options, { secureServing: { securePort: 443, bindAddress: '0.0.0.0' }, logging: { v: 2 } })
})

t.test("kcp's sharded-test-server invocation (spec §1.4) is accepted unchanged, and serves", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fp-cli-e2e-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const topo = await startTopology({ shards: ['root', 'alpha'] })
  t.teardown(() => topo.close())
  const f = await topo.writeFiles(dir)
  const serving = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
  await writeFile(join(dir, 'apiserver.crt'), serving.cert)
  await writeFile(join(dir, 'apiserver.key'), serving.key)
  // Its mapping file too: a {cluster} mapping next to /clusters/ (spec §2.1).
  const entry = (path: string): string => `- path: ${path}\n  backend: ${topo.shards.get('root')?.baseURL ?? ''}\n  backend_server_ca: ${f.caCert}\n  proxy_client_cert: ${f.proxyClientCert}\n  proxy_client_key: ${f.proxyClientKey}\n`
  const mapping = join(dir, 'mapping.e2e.yaml')
  await writeFile(mapping, entry('/e2e/clusters/{cluster}/') + entry('/clusters/'))
  // cmd/sharded-test-server/frontproxy.go, flag for flag and in its order.
  const argv = [
    '--bind-address=127.0.0.1', `--mapping-file=${mapping}`, `--root-directory=${join(dir, '.kcp-front-proxy')}`,
    `--root-kubeconfig=${f.rootKubeconfig}`, `--shards-kubeconfig=${f.shardsKubeconfig}`, `--client-ca-file=${f.clientCACert}`,
    `--requestheader-client-ca-file=${f.requestHeaderCACert}`, '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group', '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-allowed-names=kcp-front-proxy,kcp-mounts-proxy', `--tls-cert-file=${join(dir, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(dir, 'apiserver.key')}`, '--secure-port=6443', '--v=4',
  ]
  const s = io()
  const r = prepare(argv, s)
  t.equal(s.err(), '', 'no errors')
  t.ok('options' in r, 'parsed, completed and validated')
  if (!('options' in r)) return
  t.match(r.options, {
    secureServing: { bindAddress: '127.0.0.1', securePort: 6443 },
    authentication: { requestheaderAllowedNames: ['kcp-front-proxy', 'kcp-mounts-proxy'], requestheaderUsernameHeaders: ['X-Remote-User'] },
    logging: { v: 4 },
  })

  // Started with the same flags, on a free port instead of 6443 (the demo may hold that one while tests run).
  const input = parseArgs(argv).input
  const proxy = await createFrontProxy({ ...input, secureServing: { ...input.secureServing, securePort: 0 } })
  t.teardown(() => proxy.close())
  const get = (path: string, as: { cert: string; key: string }, headers: Record<string, string> = {}) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${proxy.url}${path}`, { ...as, ca: topo.pki.servingCA.cert, headers, timeout: 10_000 }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.end()
  })
  const admin = { cert: topo.pki.admin.cert, key: topo.pki.admin.key }
  t.equal((await get('/clusters/root/api/v1/namespaces', admin)).status, 200, 'a client certificate (--client-ca-file) reaches the root shard')
  // A proxy in front (kcp-mounts-proxy's role) vouches for bob; the shard forbids bob: the identity went through.
  const vouching = { cert: topo.pki.proxyClient.cert, key: topo.pki.proxyClient.key }
  const asBob = await get('/clusters/root/api/v1/namespaces/default/configmaps', vouching, { 'X-Remote-User': 'bob' })
  t.equal(asBob.status, 403, 'requestheader identity forwarded')
  t.match(asBob.body, /User \\?"bob\\?" cannot list/)
})

t.test('main() returns the exit code instead of exiting for help and errors', async (t) => {
  t.equal(await main(['--help'], io()), 0)
  t.equal(await main(['--bogus'], io()), 2)
})


function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { rejectUnauthorized: false, timeout: 3000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', () => resolve(0))
    req.on('timeout', () => { req.destroy(); resolve(0) })
    req.end()
  })
}

t.test('the binary with flags serves /readyz and stops cleanly on SIGTERM', async (t) => {
  const c = await cliTopology('fp-cli-run-', ['root', 'alpha'])
  const child = startCli(t, c, ['--shutdown-timeout=5s', `--client-ca-file=${c.files.clientCACert}`])
  let url = ''
  await eventually('the "serving" log line', () => {
    const m = /"url":"(https:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"serving"/.exec(child.output())
    if (m) url = m[1]
    return url !== '' || child.exitCode !== null
  }, SLOW_START)
  t.not(url, '', 'logged the URL it serves on', { output: child.output().slice(0, 2000) })
  if (url === '') return
  await eventually('/readyz 200', async () => (await getStatus(`${url}/readyz`)) === 200, SLOW_START)
  t.pass('ready')
  child.kill('SIGTERM')
  const { code } = await child.closed
  t.equal(code, 0, 'graceful exit 0', { output: child.output().slice(-1500) })
})

t.test('with no flags the binary starts the demo, prints a line per request, and Ctrl-C stops it and removes its files', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'fp-cli-demo-'))
  // The demo's temporary directory lands inside home, so even a failed run leaves nothing behind.
  const child = runCli([], home, { TMPDIR: home })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await child.closed
    await rm(home, { recursive: true, force: true })
  })
  await eventually('demo instructions', () => child.output().includes('Press Ctrl-C to stop') || child.exitCode !== null, SLOW_START)
  t.match(child.output(), /kubectl --kubeconfig \S+front-proxy\.kubeconfig get namespaces/)
  const dir = /^Files \(certificates, kubeconfigs, mapping file, tokens\): (\S+)$/m.exec(child.output())?.[1] ?? ''
  t.ok(dir.startsWith(home) && existsSync(join(dir, 'admin.key')), 'its files, private keys included, are in a temporary directory')
  const url = /behind the front-proxy at (https:\/\/127\.0\.0\.1:\d+)$/m.exec(child.output())?.[1] ?? ''
  t.equal(await getStatus(`${url}/clusters/root:nope/api`), 403, 'an unknown workspace')
  await eventually('the request line', () => / GET \/clusters\/root:nope\/api {2}root:nope → no shard {2}403 /.test(child.output()), SLOW_START)
  t.pass('the terminal shows the request and where it went')
  child.kill('SIGINT')
  const { code } = await child.closed
  t.equal(code, 0, 'exit 0 after Ctrl-C')
  t.match(child.output(), /stopping the demo/)
  t.notOk(existsSync(dir), 'Ctrl-C removed the temporary directory')
})
