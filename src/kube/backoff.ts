// Exponential backoff with jitter and an injectable clock, so tests can drive time
// instead of sleeping. Defaults follow client-go's reflector: 800 ms doubling to 30 s,
// reset once 2 minutes pass without a failure.

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

export interface BackoffOptions {
  /** First delay, default 800 ms. */
  initialMs?: number
  /** Cap, default 30 s. */
  maxMs?: number
  /** Growth per consecutive failure, default 2. */
  factor?: number
  /** Each delay is stretched by up to this fraction at random, default 0.5 (spreads replicas apart). */
  jitter?: number
  /** Failures older than this are forgotten, default 2 min. */
  resetAfterMs?: number
}

export class Backoff {
  failures = 0
  private lastFailureAt = 0
  private readonly o: Required<BackoffOptions>

  constructor(
    opts: BackoffOptions = {},
    private readonly clock: Clock = realClock,
    private readonly random: () => number = Math.random,
  ) {
    this.o = {
      initialMs: opts.initialMs ?? 800,
      maxMs: opts.maxMs ?? 30_000,
      factor: opts.factor ?? 2,
      jitter: opts.jitter ?? 0.5,
      resetAfterMs: opts.resetAfterMs ?? 120_000,
    }
  }

  /** Records a failure; returns how long to wait before the next attempt (ms, never above maxMs). */
  fail(): number {
    const now = this.clock.now()
    if (this.failures > 0 && now - this.lastFailureAt >= this.o.resetAfterMs) this.failures = 0
    this.failures++
    this.lastFailureAt = now
    const base = Math.min(this.o.maxMs, this.o.initialMs * this.o.factor ** (this.failures - 1))
    return Math.min(this.o.maxMs, Math.round(base * (1 + this.o.jitter * this.random())))
  }

  reset(): void {
    this.failures = 0
  }
}
