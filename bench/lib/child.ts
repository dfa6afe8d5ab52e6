// Parent side of a benchmark child process. Each process under test (shard, proxy,
// baseline, watch client) runs alone so /proc CPU and RSS readings belong to it only.
// Children are forked with tsx as loader and talk over the IPC channel: one `ready`
// message with the child's facts, then request/reply commands.
import { fork, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'

export interface ChildHandle<Info> {
  readonly pid: number
  readonly info: Info
  /** Sends a command and waits for its reply (rejects on the child's error or exit). */
  request<T = unknown>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>
  readonly process: ChildProcess
}

interface Reply { id: number; result?: unknown; error?: string }

export interface StartChildOptions {
  args?: string[]
  env?: NodeJS.ProcessEnv
  /** How long the child may take to report ready. */
  readyTimeoutMs?: number
  /** Extra node flags, e.g. --max-old-space-size. */
  execArgv?: string[]
  /** Prefix for the child's stderr lines on ours; null silences them. */
  label?: string | null
}

export async function startChild<Info>(script: string, opts: StartChildOptions = {}): Promise<ChildHandle<Info>> {
  const cp = fork(script, opts.args ?? [], {
    // BENCH_CHILD_NODE_FLAGS: extra node flags for every child, e.g. to profile them all:
    // BENCH_CHILD_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CHILD_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''), ...(opts.execArgv ?? [])],
    env: opts.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  const label = opts.label === undefined ? script.replace(/^.*\//, '') : opts.label
  let stderrTail = ''
  cp.stderr?.setEncoding('utf8')
  cp.stderr?.on('data', (d: string) => {
    stderrTail = (stderrTail + d).slice(-4000)
    if (label !== null) process.stderr.write(d.replace(/^(?=.)/gm, `[${label}] `))
  })
  const exited = new Promise<void>((resolve) => cp.once('exit', () => resolve()))
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  cp.on('message', (m: Reply) => {
    const p = pending.get(m.id)
    if (!p) return
    pending.delete(m.id)
    if (m.error !== undefined) p.reject(new Error(m.error))
    else p.resolve(m.result)
  })
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`${label ?? script} exited (code ${cp.exitCode}): ${stderrTail.slice(-500)}`))
    pending.clear()
  })

  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready within ${opts.readyTimeoutMs ?? 60_000} ms`)), opts.readyTimeoutMs ?? 60_000)
    cp.on('message', (m: { ready?: Info }) => {
      if (m.ready !== undefined) { clearTimeout(timer); resolve(m.ready) }
    })
    void exited.then(() => { clearTimeout(timer); reject(new Error(`${script} exited before ready (code ${cp.exitCode}): ${stderrTail.slice(-1500)}`)) })
  }).catch(async (e: unknown) => { cp.kill('SIGKILL'); await exited; throw e })

  return {
    pid: cp.pid!,
    info,
    process: cp,
    request<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => { pending.delete(id); reject(new Error(`${cmd}: no reply within ${timeoutMs} ms`)) }, timeoutMs)
        pending.set(id, {
          resolve: (v) => { clearTimeout(timer); resolve(v as T) },
          reject: (e) => { clearTimeout(timer); reject(e) },
        })
        if (!cp.connected) { pending.delete(id); clearTimeout(timer); reject(new Error(`${cmd}: ${label ?? script} is not running`)); return }
        cp.send({ id, cmd, args }, (err) => { if (err) { pending.delete(id); clearTimeout(timer); reject(err) } })
      })
    },
    async stop(graceMs = 5000): Promise<void> {
      if (cp.exitCode !== null || cp.signalCode !== null) return
      cp.kill('SIGTERM')
      const timer = setTimeout(() => cp.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Restricts a process (all its threads) to the given CPUs. Returns false when
 * taskset is missing or refuses, so callers can report "not pinned".
 */
export function pinToCpus(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-apc', cpus, String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
