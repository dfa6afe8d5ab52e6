// One benchmark session: a temp dir, the shard topology child, cleanup of every
// process started, and CPU pinning (load generator on one core, everything under
// test on the other, matching the "proxy and backend share one core" setup).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, availableParallelism } from 'node:os'
import { join } from 'node:path'
import { startChild, pinToCpus, type ChildHandle } from './child.js'
import { mintServing, type ServingFiles } from './targets.js'
import type { TopologyInfo } from './children/topology.js'

export interface Session {
  dir: string
  topo: ChildHandle<TopologyInfo>
  serving: ServingFiles
  /** Pins a process under test to the "server" core (no-op when pinning is off). */
  pinServer(pid: number | undefined): void
  pinned: boolean
  /** Registers a cleanup; run in reverse order by close(). */
  defer(fn: () => Promise<void> | void): void
  close(): Promise<void>
}

export async function openSession(o: { pin: boolean; topologyArgs?: string[]; keepDir?: boolean }): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'kfp-bench-'))
  const cleanups: (() => Promise<void> | void)[] = []
  const pin = o.pin && availableParallelism() >= 2
  const serverCpu = String(availableParallelism() - 1)
  let pinned = pin && pinToCpus(process.pid, '0')
  const close = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) {
      try { await fn() } catch (e) { process.stderr.write(`cleanup: ${(e as Error).message}\n`) }
    }
    cleanups.length = 0
    if (!o.keepDir) rmSync(dir, { recursive: true, force: true })
  }
  const onSignal = (): void => { void close().finally(() => process.exit(130)) }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const serving = await mintServing(dir)
    const topo = await startChild<TopologyInfo>(new URL('./children/topology.ts', import.meta.url).pathname, {
      args: ['--dir', dir, ...(o.topologyArgs ?? [])], label: 'topology',
    })
    cleanups.push(() => topo.stop())
    if (pinned) pinned = pinToCpus(topo.pid, serverCpu)
    return {
      dir, topo, serving, pinned,
      pinServer: (pid) => { if (pinned && pid !== undefined) pinToCpus(pid, serverCpu) },
      defer: (fn) => { cleanups.push(fn) },
      close,
    }
  } catch (e) {
    await close()
    throw e
  }
}
