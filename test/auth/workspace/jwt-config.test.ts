import t from 'tap'
import { compileAuthConfig } from '../../../src/auth/workspace/jwt-config.js'
import { mapClaims } from '../../../src/auth/workspace/mapping.js'

const issuer = { url: 'https://idp.example.com', audiences: ['kcp'] }
const entry = (over: Record<string, unknown> = {}) => ({ issuer, claimMappings: { username: { claim: 'email', prefix: 'oidc:' } }, ...over })
const compileOne = (e: Record<string, unknown>) => {
  const r = compileAuthConfig({ jwt: [e] })
  if (r.errors.length > 0) throw new Error(r.errors.join('; '))
  return r.jwt[0]
}

t.test('validation (Kubernetes validateJWTAuthenticator): every problem reported, nothing built', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['no spec.jwt', {}, /^spec\.jwt: Required value$/],
    ['empty spec.jwt', { jwt: [] }, /^spec\.jwt: Required value: no JWT authenticators$/],
    ['issuer url missing', { jwt: [entry({ issuer: { audiences: ['kcp'] } })] }, /spec\.jwt\[0\]\.issuer\.url: Required value/],
    ['http issuer', { jwt: [entry({ issuer: { ...issuer, url: 'http://idp' } })] }, /issuer\.url: Invalid value: "http:\/\/idp": URL scheme must be https/],
    ['issuer with query', { jwt: [entry({ issuer: { ...issuer, url: 'https://idp?x=1' } })] }, /must not contain a query/],
    ['issuer with user', { jwt: [entry({ issuer: { ...issuer, url: 'https://u:p@idp' } })] }, /must not contain a username or password/],
    ['discovery URL equal to URL', { jwt: [entry({ issuer: { ...issuer, discoveryURL: 'https://idp.example.com/' } })] }, /discoveryURL must be different from URL/],
    ['no audiences', { jwt: [entry({ issuer: { url: 'https://idp' } })] }, /issuer\.audiences: Required value/],
    ['duplicate audience', { jwt: [entry({ issuer: { ...issuer, audiences: ['a', 'a'], audienceMatchPolicy: 'MatchAny' } })] }, /audiences\[1\]: Duplicate value: "a"/],
    ['two audiences without MatchAny', { jwt: [entry({ issuer: { ...issuer, audiences: ['a', 'b'] } })] }, /audienceMatchPolicy must be MatchAny for multiple audiences/],
    ['bad policy', { jwt: [entry({ issuer: { ...issuer, audienceMatchPolicy: 'MatchAll' } })] }, /audienceMatchPolicy must be empty or MatchAny for single audience/],
    ['bad CA', { jwt: [entry({ issuer: { ...issuer, certificateAuthority: 'not a pem' } })] }, /certificateAuthority: Invalid value: "<omitted>": certificateAuthority: no PEM certificate found/],
    ['duplicate issuer', { jwt: [entry(), entry()] }, /spec\.jwt\[1\]\.issuer\.url: Duplicate value/],
    ['no username mapping', { jwt: [entry({ claimMappings: {} })] }, /claimMappings\.username: Required value: claim or expression is required/],
    ['claim and expression (e2e "claim-and-expression")', { jwt: [entry({ claimMappings: { username: { claim: 'email', expression: "'oidc:' + claims.email" } } })] }, /claimMappings\.username: Invalid value: "": claim and expression can't both be set/],
    ['prefix with expression (e2e "expression-and-prefix")', { jwt: [entry({ claimMappings: { username: { prefix: 'p:', expression: 'claims.sub' } } })] }, /username\.prefix: Invalid value: "p:": may not be specified when expression is set/],
    ['claim without prefix (e2e "minimal-claim" fails to build, as in kube)', { jwt: [entry({ claimMappings: { username: { claim: 'email' } } })] }, /username\.prefix: Required value: prefix is required when claim is set/],
    ['not CEL (e2e "minimal-expression")', { jwt: [entry({ claimMappings: { username: { expression: "concat('oidc:', email)" } } })] }, /username\.expression: Invalid value: .*compilation failed/],
    ['email without email_verified', { jwt: [entry({ claimMappings: { username: { expression: 'claims.email' } } })] }, /claims\.email_verified must be used/],
    ['groups claim without prefix', { jwt: [entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, groups: { claim: 'groups' } } })] }, /groups\.prefix: Required value/],
    ['uid claim and expression', { jwt: [entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, uid: { claim: 'sub', expression: 'claims.sub' } } })] }, /uid: Invalid value: "": claim and expression can't both be set/],
    ['extra key not domain-prefixed', { jwt: [entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, extra: [{ key: 'foo', valueExpression: "'x'" }] } })] }, /extra\[0\]\.key: Invalid value: "foo": must be a domain-prefixed path/],
    ['extra key upper case', { jwt: [entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, extra: [{ key: 'example.com/Foo', valueExpression: "'x'" }] } })] }, /must be lowercase/],
    ['extra key reserved', { jwt: [entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, extra: [{ key: 'authentication.kubernetes.io/x', valueExpression: "'x'" }] } })] }, /reserved for Kubernetes use/],
    ['extra without expression', { jwt: [entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, extra: [{ key: 'example.com/x' }] } })] }, /extra\[0\]\.valueExpression: Required value/],
    ['claim rule with claim and expression', { jwt: [entry({ claimValidationRules: [{ claim: 'hd', expression: 'true' }] })] }, /claimValidationRules\[0\]: Invalid value: "hd": claim and expression can't both be set/],
    ['claim rule message with claim', { jwt: [entry({ claimValidationRules: [{ claim: 'hd', requiredValue: 'x', message: 'm' }] })] }, /claimValidationRules\[0\]\.message: Invalid value: "m": may not be specified when claim is set/],
    ['claim rule not bool', { jwt: [entry({ claimValidationRules: [{ expression: 'claims.email_verified' }] })] }, /must evaluate to one of \[bool\], not dyn/],
    ['user rule not bool', { jwt: [entry({ userValidationRules: [{ expression: 'user.username' }] })] }, /userValidationRules\[0\]\.expression: .*must evaluate to one of \[bool\], not string/],
    ['user rule unknown field', { jwt: [entry({ userValidationRules: [{ expression: "user.name == 'x'" }] })] }, /userValidationRules\[0\]\.expression: .*compilation failed/],
    ['duplicate user rule', { jwt: [entry({ userValidationRules: [{ expression: 'true' }, { expression: 'true' }] })] }, /userValidationRules\[1\]\.expression: Duplicate value/],
    ['function Kubernetes has but the CEL library lacks', { jwt: [entry({ claimMappings: { username: { expression: "claims.sub.replace('a', 'b')" } } })] }, /username\.expression: .*compilation failed/],
  ]
  for (const [name, spec, want] of cases) {
    const r = compileAuthConfig(spec)
    t.same(r.jwt, [], `${name}: nothing built`)
    t.ok(r.errors.some((e) => want.test(e)), `${name}: ${JSON.stringify(r.errors)}`)
  }
  const many = compileAuthConfig({ jwt: [entry({ issuer: { url: 'http://x' }, claimMappings: {} })] })
  t.ok(many.errors.length >= 3, `all problems at once: ${JSON.stringify(many.errors)}`)
})

t.test('valid configurations compile (kcp e2e and docs examples)', async (t) => {
  const ok = [
    entry(),
    entry({ claimMappings: { username: { claim: 'email', prefix: '' }, groups: { claim: 'groups', prefix: 'oidc:' }, uid: { claim: 'sub' } } }),
    entry({ claimMappings: { username: { expression: "claims.email_verified ? 'oidc:' + claims.email : ''" }, groups: { expression: "claims.groups.map(g, 'oidc:' + g)" }, uid: { expression: 'claims.sub' }, extra: [{ key: 'example.com/tenant', valueExpression: "claims.?tenant.orValue('')" }] } }),
    entry({ issuer: { ...issuer, audiences: ['a', 'b'], audienceMatchPolicy: 'MatchAny', discoveryURL: 'https://idp.internal/.well-known/openid-configuration' }, claimValidationRules: [{ claim: 'hd', requiredValue: 'example.com' }, { expression: "claims.email.endsWith('@example.com')", message: 'corporate only' }], userValidationRules: [{ expression: "!user.username.startsWith('oidc:admin')", message: 'no admins' }] }),
  ]
  for (const [i, e] of ok.entries()) t.same(compileAuthConfig({ jwt: [e] }).errors, [], `example ${i}`)
})

t.test('claims → user (Kubernetes order and rules)', async (t) => {
  const claims = { sub: 'u-1', email: 'dev@example.com', email_verified: true, groups: ['devs', 'ops'], tenant: 'acme', level: 3, hd: 'example.com' }
  const cases: { name: string; e: Record<string, unknown>; c?: Record<string, unknown>; want: unknown }[] = [
    { name: 'username claim with prefix', e: entry(), want: { name: 'oidc:dev@example.com', groups: [], extra: {} } },
    { name: 'groups claim with prefix, uid claim', e: entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, groups: { claim: 'groups', prefix: 'g:' }, uid: { claim: 'sub' } } }), want: { name: 'u-1', uid: 'u-1', groups: ['g:devs', 'g:ops'], extra: {} } },
    { name: 'a string groups claim is one group', e: entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, groups: { claim: 'tenant', prefix: '' } } }), want: { name: 'u-1', groups: ['acme'], extra: {} } },
    { name: 'an absent groups claim is no groups', e: entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, groups: { claim: 'roles', prefix: '' } } }), want: { name: 'u-1', groups: [], extra: {} } },
    {
      name: 'CEL username, groups, uid and extra',
      e: entry({ claimMappings: { username: { expression: "claims.email_verified ? 'oidc:' + claims.email : ''" }, groups: { expression: "claims.groups.filter(g, g != 'ops').map(g, 'oidc:' + g)" }, uid: { expression: "'uid-' + claims.sub" }, extra: [{ key: 'example.com/tenant', valueExpression: 'claims.tenant' }, { key: 'example.com/none', valueExpression: "claims.?missing.orValue('')" }, { key: 'example.com/list', valueExpression: "['a', '', 'b']" }] } }),
      want: { name: 'oidc:dev@example.com', uid: 'uid-u-1', groups: ['oidc:devs'], extra: { 'example.com/tenant': ['acme'], 'example.com/list': ['a', 'b'] } },
    },
    { name: 'integral claims are CEL ints', e: entry({ claimValidationRules: [{ expression: 'claims.level + 1 == 4' }] }), want: { name: 'oidc:dev@example.com', groups: [], extra: {} } },
    { name: 'rules that pass', e: entry({ claimValidationRules: [{ claim: 'hd', requiredValue: 'example.com' }, { expression: "claims.email.endsWith('@example.com')" }], userValidationRules: [{ expression: "user.username.startsWith('oidc:') && user.uid == '' && size(user.groups) == 0" }] }), want: { name: 'oidc:dev@example.com', groups: [], extra: {} } },
  ]
  for (const c of cases) t.same(mapClaims(compileOne(c.e), c.c ?? claims), c.want, c.name)
})

t.test('claims → user failures are AuthErrors naming the check (a 401, never a crash)', async (t) => {
  const claims = { sub: 'u-1', email: 'dev@example.com', email_verified: false, groups: ['devs', 7], hd: 'other.com' }
  const cases: [string, Record<string, unknown>, Record<string, unknown>, RegExp][] = [
    ['email not verified', entry(), claims, /oidc: email not verified/],
    ['username claim missing', entry({ claimMappings: { username: { claim: 'preferred_username', prefix: '' } } }), claims, /parse username claim "preferred_username": claim not present/],
    ['username claim not a string', entry({ claimMappings: { username: { claim: 'groups', prefix: '' } } }), claims, /not a string/],
    ['groups claim with a number', entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, groups: { claim: 'groups', prefix: '' } } }), claims, /not a string or an array of strings/],
    ['uid claim missing', entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, uid: { claim: 'oid' } } }), claims, /parse uid claim "oid": claim not present/],
    ['required claim mismatch', entry({ claimMappings: { username: { claim: 'sub', prefix: '' } }, claimValidationRules: [{ claim: 'hd', requiredValue: 'example.com' }] }), claims, /required claim hd value does not match/],
    ['claim rule false', entry({ claimMappings: { username: { claim: 'sub', prefix: '' } }, claimValidationRules: [{ expression: "claims.hd == 'example.com'", message: 'corporate only' }] }), claims, /validation expression 'claims.hd == 'example.com'' failed: corporate only/],
    ['user rule false', entry({ claimMappings: { username: { claim: 'sub', prefix: 'ext:' } }, userValidationRules: [{ expression: "!user.username.startsWith('ext:')", message: 'no externals' }] }), claims, /user info validation rule: validation expression .* failed: no externals/],
    ['expression error: no such key', entry({ claimMappings: { username: { expression: "claims.email_verified ? claims.nickname : ''" } } }), { ...claims, email_verified: true }, /error evaluating username claim expression: No such key: nickname/],
    ['expression error in a rule', entry({ claimMappings: { username: { claim: 'sub', prefix: '' } }, claimValidationRules: [{ expression: 'claims.missing == 1' }] }), claims, /error evaluating claim validation expression/],
    ['expression of the wrong type', entry({ claimMappings: { username: { expression: "claims.email_verified ? 1 : 2" } } }), claims, /username claim expression must return a string/],
    ['groups expression of the wrong type', entry({ claimMappings: { username: { claim: 'sub', prefix: '' }, groups: { expression: 'claims.groups' } } }), claims, /expression must return a string or a list of strings/],
    ['an empty username', entry({ claimMappings: { username: { expression: "claims.email_verified ? claims.email : ''" } } }), claims, /the username is empty/],
  ]
  for (const [name, e, c, want] of cases) t.throws(() => mapClaims(compileOne(e), c), { name: 'AuthError', message: want }, name)
})
