// The proxies under test, each in its own process, all in front of the same shard:
// direct (no proxy), ours (createFrontProxy), naive fastify, nginx (when installed).
import { spawn, execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCA, issueLoopbackServerCert } from '../../src/pki/index.js'
import { startChild, type ChildHandle } from './child.js'
import { freePort, waitForPort } from './ports.js'
import type { TopologyInfo } from './children/topology.js'
import type { FrontProxyInput } from '../../src/config/types.js'

const here = dirname(fileURLToPath(import.meta.url))
export const benchDir = join(here, '..')

/** `ours-<variant>` names further instances of our proxy (e.g. with authentication) in one run. */
export type OursName = 'ours' | `ours-${string}`
export type TargetName = 'direct' | OursName | 'naive-fastify' | 'minimal-undici' | 'nginx'

export interface Target {
  name: TargetName
  /** Full URL of the 1 KiB configmap through this target. */
  objectURL: string
  /** Base URL a client uses for `/clusters/<x>/...` paths through this target. */
  clusterURL: string
  /** PID whose CPU and RSS are charged to the proxy; undefined for direct. */
  pid?: number
  stop(): Promise<void>
}

export interface ServingFiles { caCert: string; cert: string; key: string; ca: string }

/** A CA and a loopback serving certificate for the proxies under test. */
export async function mintServing(dir: string): Promise<ServingFiles> {
  const ca = await createCA('bench-proxies-ca')
  const pair = await issueLoopbackServerCert(ca)
  const f = { caCert: join(dir, 'proxies-ca.crt'), cert: join(dir, 'proxy-serving.crt'), key: join(dir, 'proxy-serving.key') }
  writeFileSync(f.caCert, ca.cert)
  writeFileSync(f.cert, pair.cert)
  writeFileSync(f.key, pair.key, { mode: 0o600 })
  return { ...f, ca: ca.cert }
}

export function shardURLOf(topo: TopologyInfo): string {
  return topo.shards[topo.workspace.shard]
}

export function directTarget(topo: TopologyInfo): Target {
  const clusterURL = `${shardURLOf(topo)}/clusters/${topo.workspace.cluster}`
  return { name: 'direct', clusterURL, objectURL: clusterURL + topo.objectPath, stop: async () => {} }
}

export interface OursOptions {
  /** Target name; also names the log file. Several instances of ours in one session need distinct names or instance numbers. Default 'ours'. */
  name?: OursName
  /** A second (third, …) process of the same target: its own log file and label, the same name. */
  instance?: number
  /** Authenticate client certificates (client CA) and static tokens (token file) at the proxy (off in the throughput benchmark). */
  clientCertAuth?: boolean
  /**
   * Further authentication options (createFrontProxy field names, e.g. clientCAFile, oidcIssuerURL),
   * merged over what clientCertAuth sets. Default: none, so the bearer token is passed to the shard.
   */
  authentication?: NonNullable<FrontProxyInput['authentication']>
  /** Further extra options (createFrontProxy field names, e.g. featureGates), merged over backendH2's. */
  extra?: NonNullable<FrontProxyInput['extra']>
  /** Log verbosity (-v). */
  v?: number
  label?: string | null
  /** Speak HTTP/2 to the shards (extra.backendHttp2); the topology must serve h2 (--http2 true). */
  backendH2?: boolean
  /**
   * Another checkout of this repository (with node_modules) whose proxy to run instead of this
   * one's: before/after comparisons in the same runs (e.g. a `git worktree` of the previous commit).
   */
  checkout?: string
}

export type OursTarget = Target & { child: ChildHandle<{ url: string }> }

export async function startOurs(dir: string, topo: TopologyInfo, serving: ServingFiles, o: OursOptions = {}): Promise<OursTarget> {
  const name = o.name ?? 'ours'
  const suffix = (o.instance ?? 0) > 0 ? `-${o.instance}` : ''
  const logName = name === 'ours' ? `front-proxy${suffix}.log` : `front-proxy-${name.slice('ours-'.length)}${suffix}.log`
  const script = o.checkout !== undefined ? join(o.checkout, 'bench/lib/children/front-proxy.ts') : join(here, 'children/front-proxy.ts')
  const child = await startChild<{ url: string }>(script, {
    args: [
      '--files', JSON.stringify(topo.files), '--serving-cert', serving.cert, '--serving-key', serving.key,
      '--log-file', join(dir, logName), '--v', String(o.v ?? 2), '--client-cert-auth', String(o.clientCertAuth ?? false),
      '--backend-h2', String(o.backendH2 ?? false),
      ...(o.authentication !== undefined ? ['--authentication', JSON.stringify(o.authentication)] : []),
      ...(o.extra !== undefined ? ['--extra', JSON.stringify(o.extra)] : []),
    ],
    label: o.label === undefined ? (name === 'ours' ? 'front-proxy' : name) + suffix : o.label,
    // BENCH_OURS_NODE_FLAGS: node flags for our proxy only, e.g. to compare V8 heap settings against the baselines.
    execArgv: (process.env.BENCH_OURS_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''),
  })
  const clusterURL = `${child.info.url}/clusters/root:${topo.workspace.name}`
  return { name, pid: child.pid, child, clusterURL, objectURL: clusterURL + topo.objectPath, stop: () => child.stop() }
}

/**
 * Ours as the CLI runs it with `--workers N` (node:cluster: a primary with the index controller,
 * N workers serving one port): the real binary through tsx, its stdout (the log) to a file. Its pid
 * is the primary's; CPU readings (proc.ts) include the workers, its child processes.
 */
export async function startOursWorkers(dir: string, topo: TopologyInfo, serving: ServingFiles, o: { workers: number; name: OursName }): Promise<Target> {
  const f = topo.files
  const port = await freePort()
  const logFile = join(dir, `front-proxy-${o.name.slice('ours-'.length)}.log`)
  const log = openSync(logFile, 'a')
  const cp = spawn(process.execPath, ['--import', 'tsx', join(benchDir, '../src/cli.ts'),
    `--workers=${o.workers}`, '--bind-address=127.0.0.1', `--secure-port=${port}`, `--root-directory=${dir}`,
    `--mapping-file=${f.mappingYaml}`, `--root-kubeconfig=${f.rootKubeconfig}`, `--shards-kubeconfig=${f.shardsKubeconfig}`,
    `--tls-cert-file=${serving.cert}`, `--tls-private-key-file=${serving.key}`, '--v=2', '--shutdown-timeout=5s'],
  { cwd: join(benchDir, '..'), stdio: ['ignore', log, 'pipe'] })
  closeSync(log)
  let err = ''
  cp.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d })
  const exited = new Promise<void>((r) => cp.once('exit', () => r()))
  try {
    // Every worker listens only once its index copy is synced; "workers serving" = all of them.
    const deadline = Date.now() + 60_000
    while (!readFileSync(logFile, 'utf8').includes('"msg":"workers serving"')) {
      if (cp.exitCode !== null || Date.now() > deadline) throw new Error(cp.exitCode !== null ? `exited ${cp.exitCode}` : 'timed out')
      await new Promise((r) => setTimeout(r, 100))
    }
  } catch (e) {
    cp.kill('SIGKILL')
    throw new Error(`${o.name} did not start: ${(e as Error).message}: ${err}${readFileSync(logFile, 'utf8').slice(-2000)}`)
  }
  const clusterURL = `https://127.0.0.1:${port}/clusters/root:${topo.workspace.name}`
  return {
    name: o.name, pid: cp.pid, clusterURL, objectURL: clusterURL + topo.objectPath,
    stop: async () => {
      if (cp.exitCode !== null) return
      cp.kill('SIGTERM') // graceful: the primary drains the workers
      const t = setTimeout(() => cp.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(t)
    },
  }
}

export async function startNaive(topo: TopologyInfo, serving: ServingFiles, name: 'naive-fastify' | 'minimal-undici' = 'naive-fastify'): Promise<Target> {
  const f = topo.files
  const child = await startChild<{ url: string }>(join(benchDir, `baselines/${name}.ts`), {
    args: ['--upstream', shardURLOf(topo), '--ca', f.caCert, '--cert', f.proxyClientCert, '--key', f.proxyClientKey,
      '--serving-cert', serving.cert, '--serving-key', serving.key],
    label: name,
  })
  const clusterURL = `${child.info.url}/clusters/${topo.workspace.cluster}`
  return { name, pid: child.pid, clusterURL, objectURL: clusterURL + topo.objectPath, stop: () => child.stop() }
}

export function nginxAvailable(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** Fills `{{NAME}}` placeholders; throws on any placeholder left without a value. */
export function renderTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_m, k: string) => {
    if (!(k in values)) throw new Error(`template placeholder {{${k}}} has no value`)
    return String(values[k])
  })
}

export async function startNginx(dir: string, topo: TopologyInfo, serving: ServingFiles, o: { connections?: number } = {}): Promise<Target | undefined> {
  if (!nginxAvailable()) return undefined
  const f = topo.files
  const n = await spawnNginx(join(dir, 'nginx'), {
    LISTEN_OPTIONS: 'ssl http2', EXTRA_LOCATIONS: '', UPSTREAM_HOSTPORT: new URL(shardURLOf(topo)).host,
    SERVING_CERT: serving.cert, SERVING_KEY: serving.key, CLIENT_CERT: f.proxyClientCert, CLIENT_KEY: f.proxyClientKey, CA: f.caCert,
    ...(o.connections !== undefined ? { WORKER_CONNECTIONS: o.connections } : {}),
  })
  const clusterURL = `https://127.0.0.1:${n.port}/clusters/${topo.workspace.cluster}`
  return { name: 'nginx', pid: n.pid, clusterURL, objectURL: clusterURL + topo.objectPath, stop: () => n.stop() }
}

export interface NginxProcess { pid: number; port: number; stop: () => Promise<void> }

/**
 * Renders `bench/baselines/nginx.conf` into `ndir` and runs nginx on it until stop() (graceful, then
 * killed after 5 s). `values` fills the placeholders this cannot: DIR is ndir, PORT a free port,
 * WORKER_CONNECTIONS 4096 unless given, and WORKER_NOFILE follows it (two descriptors per connection,
 * client and upstream, plus a margin).
 */
export async function spawnNginx(ndir: string, values: Record<string, string | number> & { WORKER_CONNECTIONS?: number }): Promise<NginxProcess> {
  const bin = nginxAvailable()
  if (!bin) throw new Error('nginx is not installed (apt-get install nginx-light)')
  mkdirSync(ndir, { recursive: true })
  const port = await freePort()
  const connections = values.WORKER_CONNECTIONS ?? 4096
  const conf = renderTemplate(readFileSync(join(benchDir, 'baselines/nginx.conf'), 'utf8'), {
    ...values, DIR: ndir, PORT: port, WORKER_CONNECTIONS: connections, WORKER_NOFILE: connections * 2 + 64,
  })
  const confFile = join(ndir, 'nginx.conf')
  writeFileSync(confFile, conf)
  const cp = spawn(bin, ['-p', ndir, '-c', confFile, '-e', join(ndir, 'nginx-error.log')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  cp.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  const exited = new Promise<void>((r) => cp.once('exit', () => r()))
  try {
    await waitForPort(port, 10_000, () => cp.exitCode === null)
  } catch (e) {
    cp.kill('SIGKILL')
    throw new Error(`nginx (${ndir}) did not start: ${(e as Error).message}: ${err}`)
  }
  return {
    pid: cp.pid!, port,
    stop: async () => {
      if (cp.exitCode !== null) return
      cp.kill('SIGQUIT') // graceful
      const t = setTimeout(() => cp.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(t)
    },
  }
}
