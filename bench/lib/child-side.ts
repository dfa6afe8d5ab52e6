// Child side of bench/lib/child.ts: report ready, answer commands, exit cleanly when
// the parent asks (SIGTERM) or goes away (IPC disconnect).

export type Handlers = Record<string, (args: Record<string, unknown>) => unknown>

export interface Serving<Info> {
  info: Info
  handlers?: Handlers
  close(): Promise<void> | void
}

interface Request { id: number; cmd: string; args: Record<string, unknown> }

export function serveChild<Info>(start: () => Promise<Serving<Info>>): void {
  if (!process.send) throw new Error('run this script through bench/lib/child.ts (needs an IPC channel)')
  let closing = false
  let serving: Serving<Info> | undefined
  const shutdown = async (): Promise<void> => {
    if (closing) return
    closing = true
    const hard = setTimeout(() => process.exit(1), 10_000)
    hard.unref()
    try { await serving?.close() } finally { process.exit(0) }
  }
  process.on('SIGTERM', () => void shutdown())
  process.on('SIGINT', () => void shutdown())
  process.on('disconnect', () => void shutdown())
  process.on('message', (m: Request) => {
    const h = serving?.handlers?.[m.cmd]
    if (!h) { process.send!({ id: m.id, error: `unknown command ${m.cmd}` }); return }
    Promise.resolve()
      .then(() => h(m.args ?? {}))
      .then(
        (result) => process.send!({ id: m.id, result: result ?? null }),
        (e: unknown) => process.send!({ id: m.id, error: e instanceof Error ? e.stack ?? e.message : String(e) }),
      )
  })
  start().then(
    (s) => { serving = s; process.send!({ ready: s.info }) },
    (e: unknown) => { process.stderr.write(`start failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`); process.exit(1) },
  )
}

/** Reads `--name value` style arguments of a child script. */
export function childArg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? process.argv[i + 1] : dflt
  if (v === undefined) throw new Error(`missing --${name}`)
  return v
}
