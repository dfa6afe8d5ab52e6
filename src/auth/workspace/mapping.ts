// Verified claims → user, exactly in the order of Kubernetes' JWT authenticator (oidc.go
// AuthenticateToken): username, groups, uid, extra, required claims, claim validation rules, user
// validation rules. Pure; every failure is an AuthError naming the failed check, never a token.
import { AuthError, type UserInfo } from '../types.js'
import { claimsForCEL, run, toStringList, userForCEL } from './cel.js'
import type { ClaimMapping, CompiledJWT } from './jwt-config.js'

type Claims = Record<string, unknown>

function stringClaim(claims: Claims, name: string, what: string): string {
  if (!(name in claims)) throw new AuthError(`oidc: parse ${what} claim ${JSON.stringify(name)}: claim not present`)
  const v = claims[name]
  if (typeof v !== 'string') throw new AuthError(`oidc: parse ${what} claim ${JSON.stringify(name)}: not a string`)
  return v
}

function username(c: CompiledJWT, claims: Claims, cel: () => unknown): string {
  const m = c.username
  if ('program' in m) {
    const v = run(m.program, { claims: cel() }, 'username claim')
    if (typeof v !== 'string') throw new AuthError('oidc: error evaluating username claim expression: username claim expression must return a string')
    return v
  }
  const name = stringClaim(claims, m.claim, 'username')
  if (m.claim === 'email' && 'email_verified' in claims) {
    if (typeof claims.email_verified !== 'boolean') throw new AuthError("oidc: parse 'email_verified' claim: not a boolean")
    if (!claims.email_verified) throw new AuthError('oidc: email not verified')
  }
  return m.prefix + name
}

function groups(m: ClaimMapping | undefined, claims: Claims, cel: () => unknown): string[] {
  if (m === undefined) return []
  if ('program' in m) return toStringList(run(m.program, { claims: cel() }, 'group claim'), 'group claim')
  // An absent groups claim is no groups; a present one is a string or a list of strings.
  if (!(m.claim in claims)) return []
  const v = claims[m.claim]
  const list = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v) : undefined
  if (list === undefined) throw new AuthError(`oidc: parse groups claim ${JSON.stringify(m.claim)}: not a string or an array of strings`)
  return list.map((g) => m.prefix + g)
}

function uid(c: CompiledJWT, claims: Claims, cel: () => unknown): string | undefined {
  if (c.uid === undefined) return undefined
  if ('claim' in c.uid) return stringClaim(claims, c.uid.claim, 'uid')
  const v = run(c.uid.program, { claims: cel() }, 'uid claim')
  if (typeof v !== 'string') throw new AuthError('oidc: error evaluating uid claim expression: uid claim expression must return a string')
  return v
}

/** The user a verified token maps to under one `spec.jwt` entry. */
export function mapClaims(c: CompiledJWT, claims: Claims): UserInfo {
  let converted: unknown
  const cel = (): unknown => (converted ??= claimsForCEL(claims))
  const name = username(c, claims, cel)
  if (name === '') throw new AuthError('oidc: the username is empty')
  const user: UserInfo = { name, groups: groups(c.groups, claims, cel), extra: {} }
  const id = uid(c, claims, cel)
  if (id !== undefined && id !== '') user.uid = id
  for (const x of c.extra) {
    const values = toStringList(run(x.program, { claims: cel() }, `extra claim (${x.key})`), `extra claim (${x.key})`)
    if (values.length > 0) user.extra[x.key] = values
  }
  for (const [claim, want] of c.requiredClaims) {
    if (!(claim in claims)) throw new AuthError(`oidc: required claim ${claim} not present in ID token`)
    if (claims[claim] !== want) throw new AuthError(`oidc: required claim ${claim} value does not match`)
  }
  for (const r of c.claimRules) {
    if (run(r.program, { claims: cel() }, 'claim validation') !== true) throw new AuthError(`oidc: error evaluating claim validation expression: validation expression '${r.program.expression}' failed: ${r.message}`)
  }
  if (c.userRules.length > 0) {
    const vars = userForCEL(user)
    for (const r of c.userRules) {
      if (run(r.program, vars, 'user info validation rule') !== true) throw new AuthError(`oidc: error evaluating user info validation rule: validation expression '${r.program.expression}' failed: ${r.message}`)
    }
  }
  return user
}
