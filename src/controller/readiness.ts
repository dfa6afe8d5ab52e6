// The readiness rule, as a pure function of the controller's state (table-tested).
//
// ready = identities resolved
//       ∧ the Shards list synced once
//       ∧ every known shard is synced once, or failed (its reflectors did not sync within
//         shardSyncTimeoutMs), or was added after the replica became ready.
// Every term only ever turns true, except shards appearing, and those never block once the
// replica is ready, so readiness is monotonic: a ready replica stays ready (routing to a
// shard that later goes away degrades per request, not for the whole replica).
import type { ReadinessCheck, ReadinessReport } from './types.js'

export interface ShardReadinessState {
  name: string
  /** Every reflector of the shard (Workspaces, LogicalClusters and, with the gate, WorkspaceTypes and WACs) completed a list at least once. */
  synced: boolean
  /** clock time when its reflectors were first started. */
  startedAt: number
  /** The replica was already ready when the shard appeared. */
  addedAfterReady: boolean
  /** Last error of its reflectors (never secret). */
  lastError?: string
}

export interface ReadinessState {
  now: number
  shardSyncTimeoutMs: number
  identities: { resolved: boolean; message?: string }
  shardsList: { synced: boolean; lastError?: string }
  shards: ShardReadinessState[]
  /**
   * With --shard-peer-kubeconfig: the endpoint serving discovery, reported as the check
   * `discovery:<label>` (the verbose /readyz shows only names). Never blocking: until the Shards
   * list synced `shards-synced` blocks, and after that a replica keeps routing on what it knows.
   */
  discovery?: { servedBy: string; ok: boolean; error?: string }
}

export function evaluateReadiness(s: ReadinessState): ReadinessReport {
  const checks: ReadinessCheck[] = []
  let ready = true
  checks.push(s.identities.resolved ? { name: 'identities', ok: true } : { name: 'identities', ok: false, message: s.identities.message ?? 'resolving APIExport identities' })
  if (!s.identities.resolved) ready = false
  if (s.shardsList.synced) checks.push({ name: 'shards-synced', ok: true })
  else {
    ready = false
    checks.push({ name: 'shards-synced', ok: false, message: 'Shards not listed yet' + (s.shardsList.lastError ? `: ${s.shardsList.lastError}` : '') })
  }
  if (s.discovery) {
    const d = s.discovery
    const name = `discovery:${d.servedBy || 'none'}`
    checks.push(d.ok ? { name, ok: true } : { name, ok: false, blocking: false, message: d.error ?? 'no discovery endpoint answered yet' })
  }
  for (const shard of [...s.shards].sort((a, b) => a.name.localeCompare(b.name))) {
    const name = `shard:${shard.name}`
    if (shard.synced) {
      checks.push({ name, ok: true })
      continue
    }
    const waited = s.now - shard.startedAt
    const reason = shard.lastError ? `: ${shard.lastError}` : ''
    if (waited >= s.shardSyncTimeoutMs) {
      checks.push({ name, ok: false, blocking: false, message: `not synced within ${Math.round(s.shardSyncTimeoutMs / 1000)}s, not blocking readiness${reason}` })
    } else if (shard.addedAfterReady) {
      checks.push({ name, ok: false, blocking: false, message: `syncing (added at runtime, not blocking readiness)${reason}` })
    } else {
      checks.push({ name, ok: false, message: `waiting for first sync (${Math.round(waited / 1000)}s)${reason}` })
      ready = false
    }
  }
  return { ready, checks }
}

/** When the readiness of a pending shard will change by itself (its timeout), or undefined. */
export function nextDeadline(s: ReadinessState): number | undefined {
  let next: number | undefined
  for (const shard of s.shards) {
    if (shard.synced || shard.addedAfterReady) continue
    const at = shard.startedAt + s.shardSyncTimeoutMs
    if (at > s.now && (next === undefined || at < next)) next = at
  }
  return next
}
