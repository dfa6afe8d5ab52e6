import t from 'tap'
import { execFile } from 'node:child_process'
import { request } from 'node:https'
import { mkdtemp, rm } from 'node:fs/promises'
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
  const demo = await startDemo({ port: 0, dir })
  t.teardown(async () => {
    await demo.close()
    await rm(home, { recursive: true, force: true })
    await rm(dir, { recursive: true, force: true })
  })

  t.same(demo.workspaces, { 'root:org': 'alpha', 'root:org:team-a': 'beta', 'root:org:team-b': 'alpha', 'root:shop': 'beta', 'root:shop:checkout': 'root' })
  t.ok(demo.commands.length >= 5 && demo.commands.length <= 8, 'five to eight commands')
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
    [/auth whoami$/, 0, /admin/],
    [/--context bob get configmaps$/, 1, /Forbidden.*User "bob" cannot list resource "configmaps"/],
    [/root:nope/, 1, /Forbidden.*workspace access not permitted/],
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
})

t.test('closing the demo stops proxy and shards (idempotently)', async (t) => {
  const demo = await startDemo({ port: 0 })
  const url = demo.proxy.url
  await Promise.all([demo.close(), demo.close()])
  const refused = await new Promise<boolean>((resolve) => {
    const req = request(`${url}/livez`, { rejectUnauthorized: false, timeout: 5000 }, (res) => { res.resume(); resolve(false) })
    req.on('error', () => resolve(true))
    req.on('timeout', () => { req.destroy(); resolve(true) })
    req.end()
  })
  t.ok(refused, 'proxy no longer answers')
})
