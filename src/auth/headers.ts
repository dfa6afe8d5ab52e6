// Identity headers sent to shards (docs/upstream.md#identity-headers, GHSA-c8w2-fgvx-vhv4).
// Shards trust X-Remote-* from the proxy's requestheader certificate, so any copy a client
// sent must be gone before forwarding, on every request, authenticated or not.
import type { IdentityHeaderNames, UserInfo } from './types.js'
import { defaultIdentityHeaderNames } from './types.js'

export type HeaderObject = Record<string, string | string[] | undefined>

const DEFAULT_USER = defaultIdentityHeaderNames.user.toLowerCase()
const DEFAULT_GROUP = defaultIdentityHeaderNames.group.toLowerCase()
const DEFAULT_EXTRA = defaultIdentityHeaderNames.extraPrefix.toLowerCase()

// Go url.PathEscape (shouldEscape with encodePathSegment): unreserved characters and
// `$ & + : = @` stay; `/ ; , ?` and everything else (including `! ' ( ) *`, unlike
// encodeURIComponent) become %XX of each UTF-8 byte, upper-case hex.
const PATH_SEGMENT_KEEP = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~$&+:=@') {
  PATH_SEGMENT_KEEP[c.charCodeAt(0)] = 1
}
const HEX = '0123456789ABCDEF'

// Extra keys come from a small set (credential-id, cluster-name, scopes...): memoise their
// escaped form. Bounded: cleared when full, so hostile keys cannot grow it.
const escapedKeys = new Map<string, string>()
const ESCAPED_KEYS_MAX = 1024

function escapeExtraKey(k: string): string {
  let e = escapedKeys.get(k)
  if (e === undefined) {
    e = goPathEscape(k)
    if (escapedKeys.size >= ESCAPED_KEYS_MAX) escapedKeys.clear()
    escapedKeys.set(k, e)
  }
  return e
}

/** Go `url.PathEscape`, byte for byte. */
export function goPathEscape(s: string): string {
  let plain = true
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || PATH_SEGMENT_KEEP[c] === 0) {
      plain = false
      break
    }
  }
  if (plain) return s
  let out = ''
  for (const b of Buffer.from(s, 'utf8')) {
    out += b < 128 && PATH_SEGMENT_KEEP[b] === 1 ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15]
  }
  return out
}

// Go writes header values as raw bytes and shards read them as UTF-8; Node writes header
// strings as latin1. Re-encoding keeps non-ASCII names (e.g. OIDC e-mails) byte-identical.
// A value a header cannot carry as it is makes the identity refused outright: CR, LF and NUL
// would split or truncate the header, and leading or trailing spaces and tabs are trimmed by
// every HTTP parser — `system:masters ` passes the drop filter and arrives as system:masters,
// `admin ` arrives as admin.

const PRINTABLE_ASCII = /^[\x20-\x7e\t]*$/

const HEADER_BREAKING = /[\r\n\0]/

function isPadding(c: number): boolean {
  return c === 32 || c === 9
}

/** True if a header carries `v` byte for byte (no CR/LF/NUL, no leading or trailing space or tab). */
export function isCarried(v: string): boolean {
  if (v.length > 0 && (isPadding(v.charCodeAt(0)) || isPadding(v.charCodeAt(v.length - 1)))) return false
  return !HEADER_BREAKING.test(v)
}

export class InvalidIdentityError extends Error {
  constructor(what: string) {
    super(`identity ${what} contains characters that cannot be sent in an HTTP header`)
    this.name = 'InvalidIdentityError'
  }
}

/** Wire form of an identity value; throws InvalidIdentityError for a value a header cannot carry (isCarried). */
export function headerValue(v: string, what: string): string {
  if (!isCarried(v)) throw new InvalidIdentityError(what)
  if (PRINTABLE_ASCII.test(v)) return v
  return Buffer.from(v, 'utf8').toString('latin1')
}

/** True if every value of this identity reaches the shard exactly as it is (isCarried). */
export function isSendableIdentity(user: UserInfo): boolean {
  if (!isCarried(user.name)) return false
  for (const g of user.groups) if (!isCarried(g)) return false
  for (const [k, vs] of Object.entries(user.extra)) {
    // Keys are path-escaped into the header name; only line breaks can hurt them.
    if (HEADER_BREAKING.test(k)) return false
    for (const v of vs) if (!isCarried(v)) return false
  }
  return true
}

/**
 * Strips every identity header a client may have sent (under the mapping's names and,
 * as defence in depth when a mapping renames them, under the default names too), then
 * writes the authenticated user's identity. Header keys may be in any case.
 * UID is deliberately not forwarded (upstream does not either).
 * Throws InvalidIdentityError (after stripping) if the identity holds CR/LF/NUL.
 */
export function applyIdentityHeaders(headers: HeaderObject, names: IdentityHeaderNames, user: UserInfo | undefined): void {
  const userName = names.user.toLowerCase()
  const group = names.group.toLowerCase()
  // An empty prefix would match every header; treat it as "no custom prefix".
  const extra = names.extraPrefix.toLowerCase()
  for (const key of Object.keys(headers)) {
    const k = key.toLowerCase()
    if (
      k === userName ||
      k === group ||
      k === DEFAULT_USER ||
      k === DEFAULT_GROUP ||
      k.startsWith(DEFAULT_EXTRA) ||
      (extra !== '' && k.startsWith(extra))
    ) {
      delete headers[key]
    }
  }
  if (user === undefined) return
  // Frozen arrays: a consumer that tried to change one would throw, not corrupt the next request.
  for (const [name, value] of encodedIdentity(user, names)) headers[name] = value as string | string[]
}

type EncodedIdentity = readonly (readonly [string, string | readonly string[]])[]
/**
 * Authenticators hand out the same UserInfo object for every request of a cached credential, so
 * its headers are encoded once per identity (and header names), not per request. The values are
 * frozen: every request shares them.
 */
const encodedIdentities = new WeakMap<UserInfo, { names: IdentityHeaderNames; encoded: EncodedIdentity }>()

function encodedIdentity(user: UserInfo, names: IdentityHeaderNames): EncodedIdentity {
  const memo = encodedIdentities.get(user)
  if (memo !== undefined && memo.names === names) return memo.encoded
  // Encode everything first so a refused identity leaves no half-written headers behind.
  const out: (readonly [string, string | readonly string[]])[] = [[names.user, headerValue(user.name, 'user name')]]
  if (user.groups.length > 0) out.push([names.group, Object.freeze(user.groups.map((g) => headerValue(g, 'group')))])
  const prefix = names.extraPrefix === '' ? defaultIdentityHeaderNames.extraPrefix : names.extraPrefix
  for (const [k, values] of Object.entries(user.extra)) {
    if (values.length === 0) continue
    // PathEscape is injective and every prefixed header was deleted above: no merging needed.
    out.push([prefix + escapeExtraKey(k), Object.freeze(values.map((v) => headerValue(v, `extra ${k}`)))])
  }
  encodedIdentities.set(user, { names, encoded: out })
  return out
}
