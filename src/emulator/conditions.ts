// Workspace conditions the way kcp writes them (kcp's conditions library: Ready first, then by type; a
// condition keeps its lastTransitionTime, truncated to the second, until its status, reason, severity or
// message changes; severity only on False). kcp's workspace reconcilers set WorkspaceScheduled (True once
// a shard and a logical cluster are chosen, False/Unschedulable otherwise) and WorkspaceInitialized (True
// when the logical cluster has no initializers left). The emulator also keeps the summary `Ready`
// condition kcp's library puts first, True exactly when the phase is Ready, so
// `kubectl wait --for=condition=Ready workspace/x` works as it does against real kcp.
import { now } from './validation.js'

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  severity?: string
  lastTransitionTime: string
  reason?: string
  message?: string
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>

export const WORKSPACE_SCHEDULED = 'WorkspaceScheduled'
export const WORKSPACE_INITIALIZED = 'WorkspaceInitialized'
export const READY = 'Ready'

const sameState = (a: ConditionInput, b: ConditionInput): boolean =>
  a.status === b.status && (a.reason ?? '') === (b.reason ?? '') && (a.severity ?? '') === (b.severity ?? '') && (a.message ?? '') === (b.message ?? '')

/** kcp's lexicographicLess: Ready first, then by type. */
const order = (a: Condition, b: Condition): number => (a.type === b.type ? 0 : a.type === READY ? -1 : b.type === READY ? 1 : a.type < b.type ? -1 : 1)

/** kcp's conditions.Set: adds or replaces `c`, keeping the transition time when nothing but the time would change. */
export function setCondition(list: readonly Condition[], c: ConditionInput, at = now()): Condition[] {
  const cur = list.find((x) => x.type === c.type)
  // Field order as kcp's Condition struct serialises it.
  const next: Partial<Condition> = { type: c.type, status: c.status }
  if (c.severity !== undefined && c.severity !== '') next.severity = c.severity
  next.lastTransitionTime = cur !== undefined && sameState(cur, c) ? cur.lastTransitionTime : at
  if (c.reason !== undefined && c.reason !== '') next.reason = c.reason
  if (c.message !== undefined && c.message !== '') next.message = c.message
  return [...list.filter((x) => x.type !== c.type), next as Condition].sort(order)
}

export function conditionsOf(status: unknown): Condition[] {
  const list = (status as { conditions?: unknown } | undefined)?.conditions
  return Array.isArray(list) ? (list as Condition[]) : []
}

/** The conditions a workspace carries once it reaches `phase`, from the ones it had. */
export function workspaceConditions(prev: readonly Condition[], phase: string, o: { mount?: boolean } = {}): Condition[] {
  let list = [...prev]
  if (o.mount !== true && phase !== 'Scheduling') list = setCondition(list, { type: WORKSPACE_SCHEDULED, status: 'True' })
  if (o.mount !== true && (phase === 'Ready' || phase === 'Unavailable')) list = setCondition(list, { type: WORKSPACE_INITIALIZED, status: 'True' })
  if (phase === 'Ready') list = setCondition(list, { type: READY, status: 'True' })
  else if (phase === 'Unavailable') list = setCondition(list, { type: READY, status: 'False', severity: 'Error', reason: 'Unavailable', message: 'the workspace is unavailable' })
  else if (list.some((c) => c.type === READY)) list = setCondition(list, { type: READY, status: 'False', severity: 'Info', reason: phase, message: `the workspace is ${phase}` })
  return list
}

/** WorkspaceScheduled False, as kcp's scheduler marks a workspace no shard can take. */
export function unschedulable(prev: readonly Condition[], message: string): Condition[] {
  return setCondition(prev, { type: WORKSPACE_SCHEDULED, status: 'False', severity: 'Error', reason: 'Unschedulable', message })
}
