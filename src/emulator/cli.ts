#!/usr/bin/env node
// `node dist/emulator/cli.js --dir <d> --shards root,alpha,beta`: starts a topology, writes its files,
// prints their paths and the shard URLs, and stops on SIGINT/SIGTERM.
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { startTopology } from './topology.js'
import type { ShardSpecInput } from './types.js'

const USAGE = `usage: kcp-emulator --dir <dir> [--shards root,alpha,beta] [--shard-labels alpha:region=eu,...]
                    [--host 127.0.0.1] [--external-url <url>] [--scheduling-delay-ms 0] [--log-level info]
                    [--workspaces N]   (seed Ready workspaces root:ws-0 … root:ws-<N-1> over all shards)
                    [--history-window 10000]   (watch events kept per shard for resuming watches)`

/** `--shard-labels alpha:region=eu,alpha:tier=gold,beta:region=us` → per-shard label maps. */
function parseShardLabels(s: string | undefined): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>()
  for (const item of (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const m = /^([^:]+):([^=]+)=(.*)$/.exec(item)
    if (!m) throw new Error(`--shard-labels: ${JSON.stringify(item)} is not <shard>:<key>=<value>`)
    out.set(m[1], { ...(out.get(m[1]) ?? {}), [m[2]]: m[3] })
  }
  return out
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      shards: { type: 'string', default: 'root' },
      'shard-labels': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'external-url': { type: 'string' },
      'scheduling-delay-ms': { type: 'string', default: '0' },
      'log-level': { type: 'string', default: 'info' },
      workspaces: { type: 'string', default: '0' },
      'history-window': { type: 'string', default: '10000' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (values.dir === undefined) throw new Error(`--dir is required\n${USAGE}`)
  const delay = Number(values['scheduling-delay-ms'])
  if (!Number.isFinite(delay) || delay < 0) throw new Error('--scheduling-delay-ms must be a number ≥ 0')
  const seed = Number(values.workspaces)
  if (!Number.isInteger(seed) || seed < 0) throw new Error('--workspaces must be a whole number ≥ 0')
  const historyWindow = Number(values['history-window'])
  if (!Number.isInteger(historyWindow) || historyWindow < 1) throw new Error('--history-window must be a whole number ≥ 1')
  const labels = parseShardLabels(values['shard-labels'])
  const shards: ShardSpecInput[] = values.shards.split(',').map((n) => n.trim()).filter((n) => n !== '').map((name) => ({ name, labels: labels.get(name) ?? {} }))
  const logger = pino({ level: values['log-level'] }, pino.destination(2))
  const topo = await startTopology({
    shards, host: values.host, dir: values.dir, schedulingDelayMs: delay, logger, historyWindow,
    ...(values['external-url'] !== undefined ? { externalURL: values['external-url'] } : {}),
  })
  // Seeded before the files are written: a harness that waits for the files sees every workspace.
  if (seed > 0) topo.seedWorkspaces('root', Array.from({ length: seed }, (_, i) => `ws-${i}`))
  const files = await topo.writeFiles(values.dir)
  const lines = [...topo.shards.values()].map((s) => `shard ${s.name} ${s.baseURL}`)
  for (const [k, v] of Object.entries(files)) if (k !== 'dir') lines.push(`${k} ${v}`)
  process.stdout.write(`${lines.join('\n')}\n`)
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    void topo.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((e: unknown) => {
  process.stderr.write(`kcp-emulator: ${(e as Error).message}\n`)
  process.exit(1)
})
