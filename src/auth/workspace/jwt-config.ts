// A WorkspaceAuthenticationConfiguration's `spec.jwt` (Kubernetes' JWTAuthenticator, converted 1:1
// by kcp's kube_conversion.go) validated as Kubernetes validates it (apiserver validation.go:
// validateJWTAuthenticator) and compiled once into what a request needs. Pure: no I/O.
// A WAC with any problem is not built at all, and the problems are reported, all of them.
import { parsePEMBundle } from '../ca-bundle.js'
import { compile, selectsClaim, type Program } from './cel.js'

/** Claim-or-expression mappings: `prefix` undefined (absent) and '' differ, as Go's *string. */
export type ClaimMapping = { claim: string; prefix: string } | { program: Program }

export interface CompiledJWT {
  issuer: string
  discoveryURL: string
  /** PEM roots for TLS to the issuer; '' = system roots. */
  certificateAuthority: string
  audiences: string[]
  username: ClaimMapping
  groups: ClaimMapping | undefined
  uid: { claim: string } | { program: Program } | undefined
  extra: { key: string; program: Program }[]
  /** claimValidationRules with `claim`: the claim must be a string equal to the value. */
  requiredClaims: [claim: string, value: string][]
  claimRules: { program: Program; message: string }[]
  userRules: { program: Program; message: string }[]
}

type Json = Record<string, unknown>
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {})
const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

class Problems {
  readonly all: string[] = []
  required(path: string, detail = ''): void {
    this.all.push(`${path}: Required value${detail !== '' ? `: ${detail}` : ''}`)
  }
  invalid(path: string, value: unknown, detail: string): void {
    this.all.push(`${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`)
  }
  duplicate(path: string, value: unknown): void {
    this.all.push(`${path}: Duplicate value: ${JSON.stringify(value)}`)
  }
  /** Compiles, recording a failure at `path`. */
  compile(path: string, expression: string, variable: 'claims' | 'user', want: 'any' | 'bool'): Program | undefined {
    try {
      return compile(expression, variable, want)
    } catch (err) {
      this.invalid(path, expression, (err as Error).message)
      return undefined
    }
  }
}

/** Compiles every `spec.jwt` entry; `errors` lists every problem (then `jwt` must not be used). */
export function compileAuthConfig(spec: unknown): { jwt: CompiledJWT[]; errors: string[] } {
  const p = new Problems()
  const entries = list(obj(spec).jwt)
  if (!Array.isArray(obj(spec).jwt)) p.required('spec.jwt')
  else if (entries.length === 0) p.required('spec.jwt', 'no JWT authenticators')
  else if (entries.length > 64) p.all.push(`spec.jwt: Too many: ${entries.length}: must have at most 64 items`)
  const out: CompiledJWT[] = []
  const issuers = new Set<string>()
  const discoveryURLs = new Set<string>()
  entries.slice(0, 64).forEach((e, i) => {
    const path = `spec.jwt[${i}]`
    const c = compileEntry(obj(e), path, p)
    const url = str(obj(obj(e).issuer).url)
    if (issuers.has(url)) p.duplicate(`${path}.issuer.url`, url)
    issuers.add(url)
    const d = str(obj(obj(e).issuer).discoveryURL)
    if (d !== '') {
      if (discoveryURLs.has(d)) p.duplicate(`${path}.issuer.discoveryURL`, d)
      discoveryURLs.add(d)
    }
    if (c !== undefined) out.push(c)
  })
  return { jwt: p.all.length === 0 ? out : [], errors: p.all }
}

function compileEntry(e: Json, path: string, p: Problems): CompiledJWT | undefined {
  const before = p.all.length
  const issuer = obj(e.issuer)
  const url = str(issuer.url)
  const discoveryURL = str(issuer.discoveryURL)
  if (url === '') p.required(`${path}.issuer.url`)
  else checkURL(url, `${path}.issuer.url`, p)
  if (discoveryURL !== '') {
    if (url !== '' && url.replace(/\/+$/, '') === discoveryURL.replace(/\/+$/, '')) p.invalid(`${path}.issuer.discoveryURL`, discoveryURL, 'discoveryURL must be different from URL')
    checkURL(discoveryURL, `${path}.issuer.discoveryURL`, p)
  }
  const audiences = list(issuer.audiences).map(str)
  checkAudiences(audiences, str(issuer.audienceMatchPolicy), `${path}.issuer`, p)
  const ca = str(issuer.certificateAuthority)
  if (ca !== '') {
    try {
      parsePEMBundle(ca, 'certificateAuthority')
    } catch (err) {
      p.invalid(`${path}.issuer.certificateAuthority`, '<omitted>', (err as Error).message)
    }
  }
  const { requiredClaims, claimRules } = claimValidation(list(e.claimValidationRules), `${path}.claimValidationRules`, p)
  const m = obj(e.claimMappings)
  const username = prefixedMapping(obj(m.username), `${path}.claimMappings.username`, true, p)
  const groups = prefixedMapping(obj(m.groups), `${path}.claimMappings.groups`, false, p)
  const uid = uidMapping(obj(m.uid), `${path}.claimMappings.uid`, p)
  const extra = extraMappings(list(m.extra), `${path}.claimMappings.extra`, p)
  // Kubernetes: a username built from claims.email must also look at claims.email_verified somewhere.
  if (username !== undefined && 'program' in username && selectsClaim(username.program, 'email')) {
    const programs = [...claimRules.map((r) => r.program), ...extra.map((x) => x.program), username.program]
    if (!programs.some((prog) => selectsClaim(prog, 'email_verified'))) {
      p.invalid(`${path}.claimMappings.username.expression`, username.program.expression, 'claims.email_verified must be used in claimMappings.username.expression or claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression')
    }
  }
  const userRules = userValidation(list(e.userValidationRules), `${path}.userValidationRules`, p)
  if (p.all.length > before || username === undefined) return undefined
  return { issuer: url, discoveryURL, certificateAuthority: ca, audiences, username, groups, uid, extra, requiredClaims, claimRules, userRules }
}

function checkURL(u: string, path: string, p: Problems): void {
  let parsed: URL
  try {
    parsed = new URL(u)
  } catch {
    p.invalid(path, u, 'not a URL')
    return
  }
  if (parsed.protocol !== 'https:') p.invalid(path, u, 'URL scheme must be https')
  if (parsed.username !== '' || parsed.password !== '') p.invalid(path, u, 'URL must not contain a username or password')
  if (parsed.search !== '') p.invalid(path, u, 'URL must not contain a query')
  if (parsed.hash !== '') p.invalid(path, u, 'URL must not contain a fragment')
}

function checkAudiences(audiences: string[], policy: string, path: string, p: Problems): void {
  if (audiences.length === 0) {
    p.required(`${path}.audiences`, `at least one ${path}.audiences is required`)
    return
  }
  const seen = new Set<string>()
  audiences.forEach((a, i) => {
    if (a === '') p.required(`${path}.audiences[${i}]`)
    if (seen.has(a)) p.duplicate(`${path}.audiences[${i}]`, a)
    seen.add(a)
  })
  if (audiences.length > 1 && policy !== 'MatchAny') p.invalid(`${path}.audienceMatchPolicy`, policy, 'audienceMatchPolicy must be MatchAny for multiple audiences')
  if (audiences.length === 1 && policy !== '' && policy !== 'MatchAny') p.invalid(`${path}.audienceMatchPolicy`, policy, 'audienceMatchPolicy must be empty or MatchAny for single audience')
}

function claimValidation(rules: unknown[], path: string, p: Problems): Pick<CompiledJWT, 'requiredClaims' | 'claimRules'> {
  const requiredClaims: CompiledJWT['requiredClaims'] = []
  const claimRules: CompiledJWT['claimRules'] = []
  const claims = new Set<string>()
  const expressions = new Set<string>()
  rules.forEach((r, i) => {
    const at = `${path}[${i}]`
    const { claim, requiredValue, expression, message } = { claim: str(obj(r).claim), requiredValue: str(obj(r).requiredValue), expression: str(obj(r).expression), message: str(obj(r).message) }
    if (claim !== '' && expression !== '') p.invalid(at, claim, "claim and expression can't both be set")
    else if (claim === '' && expression === '') p.required(at, 'claim or expression is required')
    else if (claim !== '') {
      if (message !== '') p.invalid(`${at}.message`, message, 'may not be specified when claim is set')
      if (claims.has(claim)) p.duplicate(`${at}.claim`, claim)
      claims.add(claim)
      requiredClaims.push([claim, requiredValue])
    } else {
      if (requiredValue !== '') p.invalid(`${at}.requiredValue`, requiredValue, 'may not be specified when expression is set')
      if (expressions.has(expression)) return p.duplicate(`${at}.expression`, expression)
      expressions.add(expression)
      const program = p.compile(`${at}.expression`, expression, 'claims', 'bool')
      if (program !== undefined) claimRules.push({ program, message })
    }
  })
  return { requiredClaims, claimRules }
}

function prefixedMapping(m: Json, path: string, required: boolean, p: Problems): ClaimMapping | undefined {
  const claim = str(m.claim)
  const expression = str(m.expression)
  const prefix = typeof m.prefix === 'string' ? m.prefix : undefined
  if (expression !== '' && claim !== '') p.invalid(path, '', "claim and expression can't both be set")
  else if (expression === '' && claim === '') {
    if (required) p.required(path, 'claim or expression is required')
  } else if (expression !== '') {
    if (prefix !== undefined) p.invalid(`${path}.prefix`, prefix, 'may not be specified when expression is set')
    const program = p.compile(`${path}.expression`, expression, 'claims', 'any')
    return program === undefined ? undefined : { program }
  } else {
    if (prefix === undefined) p.required(`${path}.prefix`, 'prefix is required when claim is set. It can be set to an empty string to disable prefixing')
    return { claim, prefix: prefix ?? '' }
  }
  return undefined
}

function uidMapping(m: Json, path: string, p: Problems): CompiledJWT['uid'] {
  const claim = str(m.claim)
  const expression = str(m.expression)
  if (claim !== '' && expression !== '') p.invalid(path, '', "claim and expression can't both be set")
  else if (claim !== '') return { claim }
  else if (expression !== '') {
    const program = p.compile(`${path}.expression`, expression, 'claims', 'any')
    if (program !== undefined) return { program }
  }
  return undefined
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const PATH_SEGMENT = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/

function extraMappings(items: unknown[], path: string, p: Problems): CompiledJWT['extra'] {
  const out: CompiledJWT['extra'] = []
  const keys = new Set<string>()
  items.forEach((x, i) => {
    const at = `${path}[${i}]`
    const key = str(obj(x).key)
    const valueExpression = str(obj(x).valueExpression)
    // k8s IsDomainPrefixedPath: "<dns subdomain>/<path>", then lowercase and not a Kubernetes domain.
    const slash = key.indexOf('/')
    const domain = slash < 0 ? '' : key.slice(0, slash)
    if (key === '') p.required(`${at}.key`)
    else if (slash <= 0 || !DNS_SUBDOMAIN.test(domain.toLowerCase()) || domain.length > 253 || !PATH_SEGMENT.test(key.slice(slash + 1))) p.invalid(`${at}.key`, key, 'must be a domain-prefixed path (such as "acme.io/foo")')
    if (key !== key.toLowerCase()) p.invalid(`${at}.key`, key, 'must be lowercase')
    if (/(^|\.)(kubernetes\.io|k8s\.io)$/.test(domain)) p.invalid(`${at}.key`, key, 'k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use')
    if (keys.has(key)) return p.duplicate(`${at}.key`, key)
    keys.add(key)
    if (valueExpression === '') return p.required(`${at}.valueExpression`)
    const program = p.compile(`${at}.valueExpression`, valueExpression, 'claims', 'any')
    if (program !== undefined) out.push({ key, program })
  })
  return out
}

function userValidation(rules: unknown[], path: string, p: Problems): CompiledJWT['userRules'] {
  const out: CompiledJWT['userRules'] = []
  const seen = new Set<string>()
  rules.forEach((r, i) => {
    const at = `${path}[${i}]`
    const expression = str(obj(r).expression)
    if (expression === '') return p.required(`${at}.expression`)
    if (seen.has(expression)) return p.duplicate(`${at}.expression`, expression)
    seen.add(expression)
    const program = p.compile(`${at}.expression`, expression, 'user', 'bool')
    if (program !== undefined) out.push({ program, message: str(obj(r).message) })
  })
  return out
}
