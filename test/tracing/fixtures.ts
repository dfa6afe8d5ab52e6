// A tracing arena: the attack tests' arena (createFrontProxy in front of an emulated topology,
// workspace root:org on shard alpha) with --tracing-config-file pointing at an in-process OTLP/gRPC
// receiver, and a tap on alpha recording what reached it.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { ReceivedRequest } from '../../src/emulator/types.js'
import { arena, type Arena, type ArenaAuth } from '../attacks/arena.js'
import { tempDir } from '../auth/fixtures.js'
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../fixtures/otlp-receiver.js'

export interface TracingArena extends Arena {
  receiver: OtlpReceiver
  /** Requests alpha received since the start. */
  atShard: ReceivedRequest[]
}

export async function tracingArena(t: Test, o: { rate: number; endpoint?: string; auth?: ArenaAuth }): Promise<TracingArena> {
  const receiver = await startOtlpReceiver()
  t.teardown(() => receiver.close())
  const file = join(tempDir(t), 'tracing.yaml')
  writeFileSync(file, `apiVersion: apiserver.config.k8s.io/v1\nkind: TracingConfiguration\nendpoint: ${o.endpoint ?? receiver.endpoint}\nsamplingRatePerMillion: ${o.rate}\n`)
  const a = await arena(t, { auth: o.auth ?? 'full', input: { extra: { tracingConfigFile: file } } })
  const atShard: ReceivedRequest[] = []
  const untap = a.topo.shards.get('alpha')!.tapRequests((r) => atShard.push(r))
  t.teardown(untap)
  return { ...a, receiver, atShard }
}

/** The proxy's spans of one trace: its server span and that span's children by name. */
export function traceOf(spans: readonly ReceivedSpan[], server: ReceivedSpan): { server: ReceivedSpan; children: Record<string, ReceivedSpan> } {
  const children: Record<string, ReceivedSpan> = {}
  for (const s of spans) if (s.traceId === server.traceId && s.parentSpanId === server.spanId) children[s.name] = s
  return { server, children }
}

export const SERVER_KIND = 2
