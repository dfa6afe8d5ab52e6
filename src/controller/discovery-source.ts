// A ListWatchClient over several equivalent endpoints (kcp's Admin workspace on peer shards and
// on the root shard, kcp PR #4373): each request starts at the next endpoint round-robin, a failed
// endpoint is skipped (tried last) for a bounded cooldown, and a request that fails on one endpoint
// is retried on the next. The endpoints serve one resourceVersion space (kcp's cache server), so a
// reflector whose watch broke on one peer resumes on another from its last resourceVersion, and
// relists only when that peer answers 410 Gone (the reflector's own rule).
import type { JSONResponse, ListWatchClient, WatchResponse } from '../kube/client.js'

export interface DiscoveryEndpointClient {
  /** For readiness, logs and metrics: `peer-1`, `root`, … (never a credential). */
  label: string
  client: ListWatchClient & { close?(): Promise<void> }
}

export interface DiscoverySourceOptions {
  endpoints: readonly DiscoveryEndpointClient[]
  /** How long a failed endpoint is tried only after all others, default 30 s (upstream). */
  cooldownMs?: number
  now?: () => number
  /** A request moved away from `label` (transport error or a status isFailoverStatus accepts). */
  onFailover?: (label: string, reason: string) => void
}

/** Where discovery stands: who answered last, and whether the last request found any endpoint. */
export interface DiscoveryStatus {
  /** Label of the endpoint that answered the latest successful request ('' before any). */
  servedBy: string
  ok: boolean
  /** Why the latest request failed on every endpoint (never secret). */
  error?: string
}

/**
 * Answers worth trying another endpoint for: the endpoint cannot serve the view (401/403: its
 * credentials; 404: no Admin workspace there; 429/5xx: overloaded or broken, incl. 504
 * ResourceVersionTooLarge from a lagging peer). 410 Gone and other answers go to the caller:
 * every endpoint would say the same.
 */
export function isFailoverStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 404 || status === 429 || status >= 500
}

/**
 * The order to try endpoints in: round-robin from `start`, endpoints that failed within the
 * cooldown moved to the back (oldest failure first), so an all-failed set is still tried. Pure.
 */
export function failoverOrder(count: number, start: number, failedAt: ReadonlyMap<number, number>, now: number, cooldownMs: number): number[] {
  const healthy: number[] = []
  const cooling: number[] = []
  for (let i = 0; i < count; i++) {
    const idx = (start + i) % count
    const at = failedAt.get(idx)
    if (at !== undefined && now - at < cooldownMs) cooling.push(idx)
    else healthy.push(idx)
  }
  cooling.sort((a, b) => (failedAt.get(a) ?? 0) - (failedAt.get(b) ?? 0))
  return [...healthy, ...cooling]
}

export class DiscoverySource implements ListWatchClient {
  private readonly endpoints: readonly DiscoveryEndpointClient[]
  private readonly cooldownMs: number
  private readonly now: () => number
  private readonly onFailover: ((label: string, reason: string) => void) | undefined
  private readonly failedAt = new Map<number, number>()
  private next = 0
  private state: DiscoveryStatus = { servedBy: '', ok: false }

  constructor(o: DiscoverySourceOptions) {
    if (o.endpoints.length === 0) throw new Error('a discovery source needs at least one endpoint')
    this.endpoints = o.endpoints
    this.cooldownMs = o.cooldownMs ?? 30_000
    this.now = o.now ?? Date.now
    this.onFailover = o.onFailover
  }

  get labels(): string[] {
    return this.endpoints.map((e) => e.label)
  }

  status(): DiscoveryStatus {
    return this.state
  }

  getJSON(path: string, signal?: AbortSignal): Promise<JSONResponse> {
    return this.attempt((c) => c.getJSON(path, signal), (r) => r.status, signal)
  }

  async watchStream(path: string, signal: AbortSignal): Promise<WatchResponse> {
    let served = -1
    const res = await this.attempt(
      (c, idx) => {
        served = idx
        return c.watchStream(path, signal)
      },
      (r) => r.status,
      signal,
    )
    if (!('stream' in res)) return res
    // A stream that breaks (peer stopped, connection reset) puts its endpoint in cooldown, so the
    // reflector's next watch goes elsewhere. An abort by the reflector itself is not a failure.
    return { status: 200, stream: this.guard(res.stream, served, signal) }
  }

  async close(): Promise<void> {
    await Promise.all(this.endpoints.map((e) => e.client.close?.() ?? Promise.resolve()))
  }

  private async *guard(stream: AsyncIterable<Uint8Array>, idx: number, signal: AbortSignal): AsyncIterable<Uint8Array> {
    try {
      yield* stream
    } catch (err) {
      if (!signal.aborted) this.fail(idx, errorText(err))
      throw err
    }
  }

  private pickOrder(): number[] {
    const start = this.next
    this.next = (this.next + 1) % this.endpoints.length
    return failoverOrder(this.endpoints.length, start, this.failedAt, this.now(), this.cooldownMs)
  }

  private fail(idx: number, reason: string): void {
    this.failedAt.set(idx, this.now())
    this.onFailover?.(this.endpoints[idx].label, reason)
  }

  private async attempt<R>(call: (c: ListWatchClient, idx: number) => Promise<R>, statusOf: (r: R) => number, signal: AbortSignal | undefined): Promise<R> {
    let lastAnswer: R | undefined
    let lastError: unknown
    let lastReason = ''
    for (const idx of this.pickOrder()) {
      if (signal?.aborted) break
      const { label, client } = this.endpoints[idx]
      try {
        const r = await call(client, idx)
        const status = statusOf(r)
        if (!isFailoverStatus(status)) {
          this.failedAt.delete(idx)
          this.state = { servedBy: label, ok: true }
          return r
        }
        lastAnswer = r
        lastReason = `${label}: HTTP ${status}`
        this.fail(idx, `HTTP ${status}`)
      } catch (err) {
        if (signal?.aborted) throw err
        lastError = err
        lastReason = `${label}: ${errorText(err)}`
        this.fail(idx, errorText(err))
      }
    }
    if (signal?.aborted) throw signal.reason ?? new Error('aborted')
    this.state = { servedBy: this.state.servedBy, ok: false, error: `no discovery endpoint answered (last ${lastReason})` }
    // Every endpoint answered badly: the caller judges the last answer (a Status it can report).
    if (lastAnswer !== undefined) return lastAnswer
    const e = new Error(`all ${this.endpoints.length} discovery endpoints failed, last ${lastReason}`) as Error & { code?: string }
    const code = (lastError as { code?: unknown } | undefined)?.code
    if (typeof code === 'string') e.code = code
    throw e
  }
}

function errorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | undefined
  const code = typeof e?.code === 'string' ? `${e.code} ` : ''
  return `${code}${typeof e?.message === 'string' ? e.message : String(err)}`
}
