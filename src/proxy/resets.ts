// Which HTTP/2 client sessions keep resetting their own requests (HTTP/2 rapid reset,
// CVE-2023-44487). kubectl and client-go cancel a request now and then (a watch on shutdown, a
// timed-out list); a session that cancels more than RESET_LIMIT requests within RESET_WINDOW_MS
// is resetting on purpose, and its requests may no longer make the proxy open shard connections
// (shard-gate.ts): they use idle ones or wait. The count lives on the session object itself, so
// it goes with the connection.

export const RESET_LIMIT = 20
export const RESET_WINDOW_MS = 1000

const kResets = Symbol('kcp-front-proxy.resets')

/** Resets in the current window, and in the window just before it (so a new window starts judged). */
interface Window {
  start: number
  count: number
  previous: number
}

interface Counted {
  [kResets]?: Window
}

function current(s: Counted, now: number): Window {
  let w = s[kResets]
  if (w === undefined) return (s[kResets] = { start: now, count: 0, previous: 0 })
  const age = now - w.start
  if (age >= RESET_WINDOW_MS) {
    // The window before the new one is the one ending now, or an empty one if more time passed.
    w = s[kResets] = { start: now, count: 0, previous: age < 2 * RESET_WINDOW_MS ? w.count : 0 }
  }
  return w
}

/** A request on `session` was reset by its client before it was answered. */
export function noteReset(session: object, now = Date.now()): void {
  current(session, now).count++
}

/** Whether `session` reset more than RESET_LIMIT requests in its current or previous window. */
export function isResetting(session: object, now = Date.now()): boolean {
  if ((session as Counted)[kResets] === undefined) return false
  const w = current(session, now)
  return w.count > RESET_LIMIT || w.previous > RESET_LIMIT
}
