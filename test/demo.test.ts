import t from 'tap'
import { execFile } from 'node:child_process'
import { request } from 'node:https'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { PassThrough } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDemo } from '../src/demo.js'

// The demo's promise is "paste these commands into a shell and they work": run them with the
// real kubectl, a fresh HOME (no cached discovery, no ~/.kube/config) and a timeout each.
function sh(command: string, home: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', `${command} 2>&1`], { timeout: 60_000, env: { ...process.env, HOME: home, KUBECONFIG: '' } }, (err, stdout) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout })
    })
  })
}

t.test('the demo serves its workspace tree through the proxy and every printed kubectl command behaves as explained', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'fp-demo-home-'))
  const dir = await mkdtemp(join(tmpdir(), 'fp-demo-'))
  const textLog = new PassThrough()
  let logged = ''
  textLog.on('data', (d: Buffer) => { logged += d.toString() })
  const demo = await startDemo({ port: 0, dir, textLog })
  t.teardown(async () => {
    await demo.close()
    await rm(home, { recursive: true, force: true })
    await rm(dir, { recursive: true, force: true })
  })

  t.same(demo.workspaces, { 'root:org': 'alpha', 'root:org:team-a': 'beta', 'root:org:team-b': 'alpha', 'root:shop': 'beta', 'root:shop:checkout': 'root' })
  t.ok(demo.commands.length >= 5 && demo.commands.length <= 10, 'five to ten commands')
  const text = demo.instructions()
  t.match(text, demo.files.proxyKubeconfig)
  t.match(text, dir)
  for (const c of demo.commands) t.ok(text.includes(c.command), `printed: ${c.explain}`)
  t.ok(demo.commands.every((c) => c.command.startsWith(`kubectl --kubeconfig ${demo.files.proxyKubeconfig}`)), 'every command uses the printed kubeconfig')

  const expectations: [RegExp, number, RegExp][] = [
    [/get namespaces$/, 0, /^default\s/m],
    [/create configmap hello/, 0, /configmap\/hello created/],
    [/kubeconfig \S+ get configmaps$/, 0, /^hello\s/m],
    [/--context org get workspaces$/, 0, /^team-a\s[\s\S]*^team-b\s/m],
    [/get --raw \/clusters\/root:org\/version$/, 0, /"gitVersion"/],
    [/--context proxy version$/, 0, /^Server Version: v\d/m],
    [/auth whoami$/, 0, /admin/],
    [/--context bob get configmaps$/, 1, /Forbidden.*User "bob" cannot list resource "configmaps"/],
    [/root:nope/, 1, /Forbidden.*workspace access not permitted/],
    [/--context metrics get --raw \/metrics/, 0, /^kcp_indexed_logicalclusters\{shard="beta"\} \d+$[\s\S]*^proxy_request_duration_seconds_count\{/m],
  ]
  t.equal(demo.commands.length, expectations.length, 'every command has an expectation here')
  for (const c of demo.commands) {
    const e = expectations.find(([re]) => re.test(c.command))
    if (!e) { t.fail(`no expectation for ${c.command}`); continue }
    const r = await sh(c.command, home)
    t.equal(r.code, e[1], `${c.explain}: exit code (output: ${r.out.trim()})`)
    t.match(r.out, e[2], c.explain)
  }
  // The object created through the proxy is on the shard the index says hosts root:org:team-a.
  const beta = demo.topology.shards.get('beta')
  t.ok(beta && beta.stats.requests > 0, 'shard beta served requests')

  // What the terminal showed meanwhile: one readable line per request, routing included.
  t.match(logged, /^\d\d:\d\d:\d\d GET \/clusters\/root:org:team-a\/api\/v1\/namespaces {2}root:org:team-a → beta\/\w+ {2}200 {2}\d+\.\d ms {2}admin$/m, 'the namespace list, routed to beta')
  t.match(logged, /^\d\d:\d\d:\d\d POST \/clusters\/root:org:team-a\/api\/v1\/namespaces\/default\/configmaps {2}root:org:team-a → beta\/\w+ {2}201 /m, 'the create')
  t.match(logged, /^\d\d:\d\d:\d\d GET \/version {2}200 /m, '/version through the default mapping')
  t.match(logged, /^\d\d:\d\d:\d\d GET \/clusters\/root:nope\/api {2}root:nope → no shard {2}403 /m, 'the unknown workspace')
  t.notMatch(logged, /^\{/m, 'no JSON on the terminal')
  t.ok(existsSync(dir), 'a directory the caller gave is left alone')
})

t.test('closing the demo stops proxy and shards (idempotently) and removes its own directory of keys', async (t) => {
  const demo = await startDemo({ port: 0 })
  const url = demo.proxy.url
  const dir = demo.files.dir
  t.ok(existsSync(demo.files.adminKey), 'the private keys are in its directory while it runs')
  t.match(demo.instructions(), `Press Ctrl-C to stop (removes ${dir}).`)
  await Promise.all([demo.close(), demo.close()])
  t.notOk(existsSync(dir), 'its temporary directory is gone')
  const refused = await new Promise<boolean>((resolve) => {
    const req = request(`${url}/livez`, { rejectUnauthorized: false, timeout: 5000 }, (res) => { res.resume(); resolve(false) })
    req.on('error', () => resolve(true))
    req.on('timeout', () => { req.destroy(); resolve(true) })
    req.end()
  })
  t.ok(refused, 'proxy no longer answers')
})
