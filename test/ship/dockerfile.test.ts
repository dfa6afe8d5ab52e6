// Docker cannot run here, so this test reads the Dockerfile and replays its recipe in a
// temporary directory: every COPY from the build context (honouring .dockerignore), every
// RUN, the production-only install, then the ENTRYPOINT with --help and against an
// emulated kcp until /readyz answers 200. A broken recipe fails CI.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join, posix, relative } from 'node:path'
import { startTopology } from '../../src/emulator/index.js'
import { caFromPair, issueLoopbackServerCert } from '../../src/pki/index.js'
import { eventually } from '../fixtures/eventually.js'

const repo = process.cwd()
// The replay runs tsc and npm ci for real: ~40 s on an idle 2-core machine, more when it is busy.
t.setTimeout(480_000)

interface Instruction { op: string; args: string; line: number }
interface Stage { name: string; from: string; body: Instruction[] }

/** Dockerfile → stages, with line continuations, comments and ARG defaults resolved. */
function parseDockerfile(text: string): { stages: Stage[]; args: Record<string, string> } {
  const args: Record<string, string> = {}
  const stages: Stage[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1
    let l = lines[i]
    while (l.trimEnd().endsWith('\\') && i + 1 < lines.length) l = l.trimEnd().slice(0, -1) + ' ' + (lines[++i]).trim()
    l = l.trim()
    if (l === '' || l.startsWith('#')) continue
    const m = /^(\w+)\s+(.*)$/.exec(l)
    if (!m) throw new Error(`Dockerfile:${start}: cannot parse ${JSON.stringify(l)}`)
    const op = (m[1]).toUpperCase()
    const rest = (m[2]).replace(/\$\{(\w+)\}/g, (_, v: string) => args[v] ?? '')
    if (op === 'ARG') {
      const [k, v = ''] = rest.split('=')
      args[k] = v
    } else if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)
      stages.push({ name: f?.[2] ?? String(stages.length), from: f?.[1] ?? rest, body: [] })
    } else {
      const stage = stages.at(-1)
      if (!stage) throw new Error(`Dockerfile:${start}: ${op} before FROM`)
      stage.body.push({ op, args: rest, line: start })
    }
  }
  return { stages, args }
}

/** .dockerignore: last matching pattern wins; a pattern matching a parent directory matches its files. */
function ignored(path: string, patterns: string[]): boolean {
  const toRe = (p: string): RegExp => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '.*')}$`)
  let out = false
  const parts = path.split('/')
  for (const raw of patterns) {
    const neg = raw.startsWith('!')
    const re = toRe(posix.normalize(neg ? raw.slice(1) : raw))
    if (parts.some((_, i) => re.test(parts.slice(0, i + 1).join('/')))) out = !neg
  }
  return out
}

function filesUnder(abs: string): string[] {
  if (!statSync(abs).isDirectory()) return [abs]
  return readdirSync(abs, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    child.on('close', (code) => resolve({ code, out }))
  })
}

const dockerfile = parseDockerfile(readFileSync(join(repo, 'Dockerfile'), 'utf8'))
const ignore = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
const final = dockerfile.stages.at(-1) as Stage
const entry = final.body.filter((i) => i.op === 'ENTRYPOINT').at(-1)

t.test('the recipe: multi-stage, pinned slim/distroless runtime, non-root, exec-form entrypoint, no healthcheck', async (t) => {
  t.ok(dockerfile.stages.length >= 2, 'multi-stage')
  for (const s of dockerfile.stages) {
    t.match(s.from, /:[\w.-]+$/, `${s.name}: base image has an explicit tag`)
    t.notMatch(s.from, /:latest$/, `${s.name}: not :latest`)
  }
  t.match(final.from, /(distroless\/nodejs\d+|node:\d+\.\d+\.\d+-\w+-slim)/, 'runtime is distroless or slim Node')
  const user = final.body.filter((i) => i.op === 'USER').at(-1)
  t.ok(user && !/^(0|root)(:|$)/.test(user.args), `runs as a non-root user (${user?.args ?? 'none'})`)
  t.ok(entry, 'has an ENTRYPOINT')
  t.match(entry?.args, /^\[.*dist\/cli\.js"\]$/, 'exec form (no shell) running dist/cli.js')
  t.notOk(dockerfile.stages.some((s) => s.body.some((i) => i.op === 'HEALTHCHECK')), 'no HEALTHCHECK (Kubernetes probes /livez and /readyz)')
  t.notOk(final.body.some((i) => i.op === 'RUN'), 'no RUN in the runtime stage (it has no shell)')
  const copied = final.body.filter((i) => i.op === 'COPY').map((i) => i.args)
  t.ok(copied.some((a) => /--from=\S+\s+\S*node_modules/.test(a)), 'runtime gets node_modules from another stage')
  t.ok(copied.some((a) => /--from=\S+\s+\S*dist/.test(a)), 'runtime gets dist from the build stage')
  t.ok(copied.every((a) => a.startsWith('--from=') || /^package\.json\s/.test(a)), 'nothing else from the context but package.json')
  t.ok(dockerfile.stages.some((s) => s.body.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args))), 'a production-only npm ci')
})

t.test('replaying the Dockerfile builds an image tree whose CLI prints help and serves a kcp topology', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fp-docker-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))
  const roots = new Map<string, string>()
  const host = (stage: string, containerPath: string): string => join(roots.get(stage) as string, containerPath)

  async function replay(stage: Stage): Promise<void> {
    roots.set(stage.name, join(tmp, `stage-${stage.name}`))
    mkdirSync(roots.get(stage.name) as string, { recursive: true })
    let workdir = '/'
    for (const ins of stage.body) {
      const where = `Dockerfile:${ins.line} (${stage.name})`
      if (ins.op === 'WORKDIR') {
        workdir = posix.resolve(workdir, ins.args)
        mkdirSync(host(stage.name, workdir), { recursive: true })
      } else if (ins.op === 'COPY') {
        const words = ins.args.split(/\s+/)
        const from = words[0]?.startsWith('--from=') ? (words.shift() as string).slice('--from='.length) : undefined
        const rawDest = words.pop() as string
        const dest = host(stage.name, posix.resolve(workdir, rawDest))
        // Docker: a directory source copies its contents; several sources or a trailing '/' make dest a directory.
        const destIsDir = rawDest.endsWith('/') || words.length > 1
        for (const src of words) {
          const source = from ? host(from, src) : join(repo, src)
          t.ok(existsSync(source), `${where}: COPY source ${src} exists`)
          if (!existsSync(source)) continue
          if (!from) {
            const excluded = filesUnder(source).filter((f) => ignored(relative(repo, f), ignore))
            t.same(excluded, [], `${where}: .dockerignore keeps ${src} in the build context`)
          }
          const isDir = statSync(source).isDirectory()
          cpSync(source, !isDir && destIsDir ? join(dest, posix.basename(src)) : dest, { recursive: true, dereference: true })
        }
      } else if (ins.op === 'RUN') {
        const cwd = host(stage.name, workdir)
        if (/^npm ci\b/.test(ins.args) && !/--omit=dev/.test(ins.args)) {
          // The full dev install of the same lockfile is this repository's node_modules; reuse it (minutes saved).
          symlinkSync(join(repo, 'node_modules'), join(cwd, 'node_modules'), 'dir')
          continue
        }
        const cmd = /^npm ci\b/.test(ins.args) ? `${ins.args} --prefer-offline` : ins.args
        const r = await run('sh', ['-c', cmd], cwd, 300_000)
        t.equal(r.code, 0, `${where}: RUN ${cmd}`, { output: r.out.slice(-3000) })
      }
    }
  }

  // BuildKit builds independent stages in parallel; so do we (the tsc build dominates).
  const runtimeInputs = dockerfile.stages.slice(0, -1)
  await Promise.all(runtimeInputs.map((s) => replay(s)))
  await replay(final)

  const app = roots.get(final.name) as string
  const installed = readdirSync(join(app, 'app/node_modules'))
  for (const dev of ['typescript', 'tap', 'eslint', '@kubernetes', 'fast-check']) t.notOk(installed.includes(dev), `no dev dependency ${dev} in the image`)
  t.ok(existsSync(join(app, 'app/dist/cli.js')), 'dist/cli.js in the image')

  // ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli.js"] → this Node, the replayed /app.
  const argv = JSON.parse(entry?.args ?? '[]') as string[]
  const bin = process.execPath
  const script = join(app, argv[1])
  const help = await run(bin, [script, '--help'], join(app, 'app'), 30_000)
  t.equal(help.code, 0, '--help exits 0', { output: help.out.slice(-2000) })
  t.match(help.out, /Proxy flags:[\s\S]*--mapping-file string/)

  const topo = await startTopology({ shards: ['root', 'alpha'] })
  t.teardown(() => topo.close())
  const f = await topo.writeFiles(join(tmp, 'kcp'))
  const serving = await issueLoopbackServerCert(caFromPair(topo.pki.servingCA))
  writeFileSync(join(tmp, 'tls.crt'), serving.cert)
  writeFileSync(join(tmp, 'tls.key'), serving.key)
  const child: ChildProcess = spawn(bin, [
    script, '--bind-address=127.0.0.1', '--secure-port=0', `--root-directory=${join(tmp, 'state')}`,
    `--mapping-file=${f.mappingYaml}`, `--root-kubeconfig=${f.rootKubeconfig}`, `--shards-kubeconfig=${f.shardsKubeconfig}`,
    `--tls-cert-file=${join(tmp, 'tls.crt')}`, `--tls-private-key-file=${join(tmp, 'tls.key')}`, `--client-ca-file=${f.clientCACert}`,
  ], { cwd: join(app, 'app'), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(async () => { if (child.exitCode === null) child.kill('SIGKILL'); await exited })

  // An early exit ends the wait too; the assertion below then reports the output.
  await eventually('the container\'s "serving" line', () => /"msg":"serving"/.test(out) || child.exitCode !== null, { timeoutMs: 90_000, intervalMs: 200 }).catch(() => false)
  const url = /"url":"(https:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"serving"/.exec(out)?.[1] ?? ''
  t.not(url, '', 'the image\'s CLI started serving', { output: out.slice(-2000) })
  if (url === '') return
  const status = await new Promise<number>((resolve) => {
    const req = request(`${url}/readyz`, { ca: topo.pki.servingCA.cert, timeout: 5000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', () => resolve(0))
    req.end()
  })
  t.equal(status, 200, '/readyz is 200')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM → clean exit 0')
})
