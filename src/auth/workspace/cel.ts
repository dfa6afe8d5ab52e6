// The CEL environment of Kubernetes' structured JWT authenticator (k8s.io/apiserver/pkg/authentication/cel):
// claim mappings and claim validation rules see `claims` (the token's payload, map(string, dyn)),
// user validation rules see `user` (username, uid, groups, extra). Expressions are compiled and
// type-checked once, when a WorkspaceAuthenticationConfiguration is built, never per request.
//
// The library is @marcbachmann/cel-js (docs/auth.md says why): it parses, type-checks and evaluates
// CEL with the parts Kubernetes' environment enables that JWT mappings use — optional types
// (`claims.?email.orValue('')`), `cel.bind`, the macros (has, all, exists, exists_one, map, filter)
// and the string extensions lowerAscii, upperAscii, split, join, substring, trim, indexOf,
// lastIndexOf. Kubernetes functions it lacks (e.g. replace, format, sets.*, url, ip) make an
// expression fail to compile: the WAC is reported as not built, it never half-works.
import { Environment, type ASTNode, type ParseResult } from '@marcbachmann/cel-js'
import { AuthError, type UserInfo } from '../types.js'

/** Structural limits at parse time (Kubernetes bounds cost per expression; these bound its size). */
const limits = { maxAstNodes: 2_000, maxDepth: 50, maxListElements: 1_000, maxMapEntries: 1_000, maxCallArguments: 32 }

const base = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: true, limits })
const claimsEnv = base.clone().registerVariable('claims', 'map<string, dyn>')
const userEnv = base
  .clone()
  .registerType('UserInfo', { fields: { username: 'string', uid: 'string', groups: 'list<string>', extra: 'map<string, list<string>>' } })
  .registerVariable('user', 'UserInfo')

export type Variable = 'claims' | 'user'

export interface Program {
  readonly expression: string
  readonly eval: ParseResult
}

/**
 * Parses and type-checks an expression over `claims` or `user`. With `bool`, the checked type must
 * be bool exactly (Kubernetes: validation rules "must evaluate to one of [bool]"; a bare dyn such as
 * `claims.email_verified` is refused, `claims.email_verified == true` is fine). Throws Error.
 */
export function compile(expression: string, variable: Variable, want: 'any' | 'bool'): Program {
  const env = variable === 'claims' ? claimsEnv : userEnv
  const checked = env.check(expression)
  if (!checked.valid) throw new Error(`compilation failed: ${firstLine(checked.error?.message ?? 'invalid expression')}`)
  if (want === 'bool' && checked.type !== 'bool') throw new Error(`must evaluate to one of [bool], not ${String(checked.type)}`)
  return { expression, eval: env.parse(expression) }
}

/** Whether the expression selects `claims.<field>` (or `claims.?<field>`) anywhere (k8s hasSelectExp). */
export function selectsClaim(p: Program, field: string): boolean {
  return walk(p.eval.ast, (n) => (n.op === '.' || n.op === '.?') && n.args[0].op === 'id' && n.args[0].args === 'claims' && n.args[1] === field)
}

function walk(node: unknown, hit: (n: ASTNode) => boolean): boolean {
  if (Array.isArray(node)) return node.some((x) => walk(x, hit))
  if (typeof node !== 'object' || node === null || !('op' in node)) return false
  const n = node as ASTNode
  return hit(n) || walk(n.args, hit)
}

/** Runs a program; any failure (no such key, wrong overload, division by zero) is an AuthError, never a throw of another kind. */
export function run(p: Program, vars: { claims: unknown } | { user: unknown }, what: string): unknown {
  try {
    const v: unknown = p.eval(vars)
    if (v instanceof Promise) throw new Error('asynchronous result') // no async functions are registered
    return v
  } catch (err) {
    throw new AuthError(`oidc: error evaluating ${what} expression: ${firstLine((err as Error).message)}`)
  }
}

/** Kubernetes convertCELValueToStringList: a string or a list of strings; "", [], null and "" elements mean none. */
export function toStringList(v: unknown, what: string): string[] {
  if (v === null) return []
  if (typeof v === 'string') return v === '' ? [] : [v]
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return (v).filter((x) => x !== '')
  throw new AuthError(`oidc: error evaluating ${what} expression: expression must return a string or a list of strings`)
}

/**
 * The token's claims as Kubernetes hands them to CEL (unstructured JSON): integral numbers are
 * int (bigint here), others double, so `claims.exp > 1700000000` and `claims.level + 1` behave as there.
 */
export function claimsForCEL(v: unknown): unknown {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v
  if (Array.isArray(v)) return v.map(claimsForCEL)
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = claimsForCEL(x)
    return out
  }
  return v
}

/** `user` for user validation rules: every field present, as Kubernetes fills them in. */
export function userForCEL(u: UserInfo): { user: { username: string; uid: string; groups: string[]; extra: Record<string, string[]> } } {
  return { user: { username: u.name, uid: u.uid ?? '', groups: u.groups, extra: u.extra } }
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim()
}
