// A worker's index controller: instead of watching shards it keeps a copy of the primary's
// indexes, fed over IPC (index-relay.ts), and reports the primary's readiness. It is ready
// when the copy holds the primary's snapshot and the primary's controller is ready, so a
// worker, like a single process, does not listen before the index is synced.
import type { IndexController, ReadinessReport } from '../controller/types.js'
import { AuthConfigIndex } from '../index/auth-configs.js'
import { WorkspaceIndex } from '../index/state.js'
import { applyRelayOp } from './index-relay.js'
import type { ToWorker } from './messages.js'

const SNAPSHOT_CHECK = { name: 'index-copy', ok: false, message: 'waiting for the routing index from the primary process' }

export class IndexCopy implements IndexController {
  readonly index = new WorkspaceIndex()
  readonly authIndex: AuthConfigIndex | undefined
  #hasSnapshot = false
  #report: ReadinessReport = { ready: false, checks: [] }
  #stopped = false
  readonly #hello: () => void
  #resolve!: () => void
  #reject!: (e: Error) => void
  readonly #ready = new Promise<void>((resolve, reject) => {
    this.#resolve = resolve
    this.#reject = reject
  })

  constructor(o: { withAuthIndex: boolean; hello: () => void }) {
    this.authIndex = o.withAuthIndex ? new AuthConfigIndex() : undefined
    this.#hello = o.hello
    // As the controller's: an unobserved rejection (stop before ready) must not end the process.
    this.#ready.catch(() => undefined)
  }

  /** Applies a message from the primary; false when it is not about the index. */
  receive(m: ToWorker): boolean {
    switch (m.t) {
      case 'ops':
        for (const op of m.ops) applyRelayOp(this.index, this.authIndex, op)
        return true
      case 'snapshot-done':
        this.#hasSnapshot = true
        this.#check()
        return true
      case 'readiness':
        this.#report = m.report
        this.#check()
        return true
      default:
        return false
    }
  }

  #check(): void {
    if (this.#hasSnapshot && this.#report.ready) this.#resolve()
  }

  async start(): Promise<void> {
    this.#hello()
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#reject(new Error('index copy stopped before it became ready'))
  }

  readiness(): ReadinessReport {
    if (this.#hasSnapshot) return this.#report
    return { ready: false, checks: [...this.#report.checks, SNAPSHOT_CHECK] }
  }

  whenReady(): Promise<void> {
    return this.#ready
  }
}
