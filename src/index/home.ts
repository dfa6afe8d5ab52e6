// User home workspaces (docs/upstream.md#home-clusters): `user:<name>` is rewritten to the logical
// cluster kcp names after the user, so the index never stores home paths itself.
import { hash } from 'node:crypto'
import { ownCopy } from './memo.js'

/**
 * kcp's Base36 `BytesPad` encoder: one leading '0' per leading zero *byte*, then
 * the rest of the bytes as a big-endian number in lowercase base 36.
 */
export function base36BytesPad(bytes: Uint8Array): string {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  const pad = '0'.repeat(zeros)
  if (zeros === bytes.length) return pad
  let hex = '0x'
  for (let i = zeros; i < bytes.length; i++) hex += bytes[i].toString(16).padStart(2, '0')
  return pad + BigInt(hex).toString(36)
}

/** The logical-cluster name of a user's home workspace: BytesPad(sha224(user)[0:8]). */
export function homeClusterName(user: string): string {
  const digest = hash('sha224', Buffer.from(user, 'utf8'), 'buffer')
  return base36BytesPad(digest.subarray(0, 8))
}

// Lookups of `user:<name>` paths happen per request; sha224 + BigInt costs a few
// microseconds, so recent answers are memoised. Bounded, and cleared wholesale when
// full: the keys come from clients, so the memo must never grow without limit.
const MEMO_LIMIT = 4096
const memo = new Map<string, string>()

/** homeClusterName() with a bounded memo; same answers. */
export function cachedHomeClusterName(user: string): string {
  let name = memo.get(user)
  if (name === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear()
    name = homeClusterName(user)
    // Keys are sliced from request paths: copy them so they do not pin the request
    // URL. ownCopy() is exact for ASCII only; other names are used as they are.
    memo.set(/^[\x20-\x7e]*$/.test(user) ? ownCopy(user) : user, name)
  }
  return name
}

/** `['user', name, ...rest]` → `[home(name), ...rest]`; anything else (incl. `['user']`) unchanged. */
export function rewriteUserPath(segments: readonly string[]): string[] {
  if (segments[0] !== 'user' || segments.length < 2) return [...segments]
  return [cachedHomeClusterName(segments[1]), ...segments.slice(2)]
}
