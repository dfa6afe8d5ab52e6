// kcp's test/e2e/authentication/workspace_test.go, as far as it is about the authenticator:
// TestWorkspaceOIDC (issuer isolation per workspace type with two issuers, the union of two WACs,
// an invalid token denied, system groups stripped), TestUserScope (username, groups, scopes extra),
// TestForbiddenSystemAccess (system groups and names from an unprefixed WAC), plus the extras
// (cluster-name, kcp.io keys dropped) and the union with the global authenticators (spec §5.1).
import t from 'tap'
import { applyIdentityHeaders } from '../../../src/auth/index.js'
import { defaultIdentityHeaderNames } from '../../../src/auth/types.js'
import { tempDir, TestIssuer } from '../fixtures.js'
import { bearer, decide, jwtFor, setup } from './fixtures.js'

t.test('workspace_test.go TestWorkspaceOIDC: two issuers, three workspace types', async (t) => {
  const dir = tempDir(t)
  const [mockA, mockB] = await Promise.all([TestIssuer.start(t, dir), TestIssuer.start(t, dir)])
  const s = await setup(t)
  s.putWAC('mockoidc-a', [jwtFor(mockA)])
  s.putWAC('mockoidc-b', [jwtFor(mockB)])
  const typeA = s.putType('with-oidc-a', ['mockoidc-a'])
  const typeB = s.putType('with-oidc-b', ['mockoidc-b'])
  const typeC = s.putType('with-oidc-c', ['mockoidc-a', 'mockoidc-b'])
  await s.workspace.settled()
  const ws = { A: [typeA, 'team-a-lc'], B: [typeB, 'team-b-lc'], C: [typeC, 'team-c-lc'] } as const

  const accepted = async (token: string, w: keyof typeof ws) => {
    const d = await decide(s, ws[w][0], ws[w][1], bearer(token))
    return d.kind === 'user' ? d.user : undefined
  }

  const cases: { name: string; email: string; groups?: string[]; mock: TestIssuer; access: Record<'A' | 'B' | 'C', boolean> }[] = [
    { name: 'user-a@example.com is accepted by workspace types listing issuer A', email: 'user-a@example.com', mock: mockA, access: { A: true, B: false, C: true } },
    { name: 'user-b@example.com is accepted by workspace types listing issuer B', email: 'user-b@example.com', mock: mockB, access: { A: false, B: true, C: true } },
    { name: 'user-a (developers), issuer A', email: 'user-a@example.com', groups: ['developers'], mock: mockA, access: { A: true, B: false, C: true } },
    { name: 'B does not take developers from issuer A (issuer isolation)', email: 'rando@example.com', groups: ['developers'], mock: mockA, access: { A: true, B: false, C: true } },
    { name: 'user C signed by issuer A, in workspace C (union of two WACs)', email: 'user-c@example.com', mock: mockA, access: { A: true, B: false, C: true } },
    { name: 'user C signed by issuer B, in workspace C (union of two WACs)', email: 'user-c@example.com', mock: mockB, access: { A: false, B: true, C: true } },
  ]
  for (const c of cases) {
    const token = await c.mock.token({ email: c.email, ...(c.groups !== undefined ? { groups: c.groups } : {}) })
    for (const w of ['A', 'B', 'C'] as const) {
      const u = await accepted(token, w)
      t.equal(u !== undefined, c.access[w], `${c.name}: workspace ${w}`)
      if (u !== undefined) {
        t.equal(u.name, `oidc:${c.email}`)
        t.same(u.groups, [...(c.groups ?? []).map((g) => `oidc:${g}`), 'system:authenticated'])
      }
    }
  }

  t.test('invalid token denied everywhere (workspace authentication forces authentication)', async (t) => {
    for (const w of ['A', 'B', 'C'] as const) {
      const d = await decide(s, ws[w][0], ws[w][1], bearer('invalid-token'))
      t.equal(d.kind, 'unauthorized', w)
    }
    t.equal((await decide(s, typeA, 'team-a-lc', { headers: {}, peerCertificates: [] })).kind, 'unauthorized', 'no credential at all: 401, not anonymous')
    t.equal((await decide(s, 'root:universal', 'other-lc', { headers: {}, peerCertificates: [] })).kind, 'anonymous', 'a type without WACs: anonymous as before')
  })

  t.test('impersonating system groups: prefixed, they are harmless oidc:system:* groups', async (t) => {
    const token = await mockB.token({ email: 'hacker@1337code.no', groups: ['system:kcp:admin', 'system:masters'] })
    const d = await decide(s, typeB, 'team-b-lc', bearer(token))
    t.same(d.kind === 'user' ? d.user.groups : [], ['oidc:system:kcp:admin', 'oidc:system:masters', 'system:authenticated'])
  })
})

t.test('workspace_test.go TestUserScope: username, groups and the scope extras a shard sees', async (t) => {
  const dir = tempDir(t)
  const mock = await TestIssuer.start(t, dir)
  const s = await setup(t)
  s.putWAC('mockoidc', [jwtFor(mock, { claimMappings: { username: { claim: 'email', prefix: 'oidc:' }, groups: { claim: 'groups', prefix: 'oidc:' }, extra: [{ key: 'authentication.kcp.io/scopes', valueExpression: "'cluster:elsewhere'" }, { key: 'tenant.kcp.io/id', valueExpression: "'t1'" }, { key: 'example.com/team', valueExpression: "claims.?team.orValue('')" }] } })])
  const type = s.putType('with-oidc', ['mockoidc'])
  const token = await mock.token({ email: 'peter@example.com', groups: ['developers', 'admins'], team: 'blue' })
  const d = await decide(s, type, 'teamlc', bearer(token))
  t.equal(d.kind, 'user')
  if (d.kind !== 'user') return
  t.equal(d.method, 'workspace')
  t.equal(d.user.name, 'oidc:peter@example.com')
  t.same(d.user.groups, ['oidc:admins', 'oidc:developers', 'system:authenticated'], 'kcp GroupFilter sorts, then system:authenticated is appended')
  t.same(d.user.extra, {
    'example.com/team': ['blue'],
    'authentication.kcp.io/scopes': ['cluster:teamlc'],
    'authentication.kcp.io/cluster-name': ['teamlc'],
  }, 'kcp.io extra keys from the token are dropped; scopes and cluster-name name the target cluster only')
  const headers: Record<string, string | string[] | undefined> = { 'x-remote-extra-authentication.kcp.io%2fscopes': 'cluster:*' }
  applyIdentityHeaders(headers, defaultIdentityHeaderNames, d.user)
  t.same(headers['X-Remote-Extra-authentication.kcp.io%2Fscopes'], ['cluster:teamlc'], 'the header a shard reads')
  t.same(headers['X-Remote-Extra-authentication.kcp.io%2Fcluster-name'], ['teamlc'])
  t.equal(headers['x-remote-extra-authentication.kcp.io%2fscopes'], undefined, 'a forged scope header is gone')

  const other = await decide(s, type, 'otherlc', bearer(token))
  t.same(other.kind === 'user' ? other.user.extra['authentication.kcp.io/cluster-name'] : [], ['otherlc'], 'the same cached token, scoped to the cluster it is sent to')
})

t.test('workspace_test.go TestForbiddenSystemAccess: an unprefixed WAC cannot make system users or groups', async (t) => {
  const dir = tempDir(t)
  const mock = await TestIssuer.start(t, dir)
  const s = await setup(t)
  s.putWAC('evil-oidc', [jwtFor(mock, {}, '')])
  const type = s.putType('evil', ['evil-oidc'])
  const dummy = await decide(s, type, 'lc', bearer(await mock.token({ email: 'dummy@example.com' })))
  t.equal(dummy.kind === 'user' ? dummy.user.name : '', 'dummy@example.com', 'the authenticator works')
  const admin = await decide(s, type, 'lc', bearer(await mock.token({ email: 'al@bundy.com', groups: ['system:kcp:admin', 'system:masters', 'system:authenticated', 'devs'] })))
  t.same(admin.kind === 'user' ? admin.user.groups : [], ['devs', 'system:authenticated'], 'system: groups stripped, system:authenticated added once')
  const sys = await decide(s, type, 'lc', bearer(await mock.token({ email: 'system:kube-controller-manager' })))
  t.equal(sys.kind, 'unauthorized', 'system: usernames are rejected')
  t.match(sys.kind === 'unauthorized' ? sys.reason : '', /workspace: system usernames are not admitted/)
})

t.test('union with the global authenticators (spec §5.1): global first, then workspace; never a global identity from a workspace token', async (t) => {
  const dir = tempDir(t)
  const [global, ws] = await Promise.all([TestIssuer.start(t, dir), TestIssuer.start(t, dir)])
  const s = await setup(t, { authOptions: { oidcIssuers: [{ issuerURL: global.url, clientID: 'kcp', caFile: global.caFile, usernameClaim: 'email', usernamePrefix: 'global:', groupsClaim: '', groupsPrefix: '', signingAlgs: ['RS256'], requiredClaims: {} }] } })
  s.putWAC('ws', [jwtFor(ws)])
  s.putWAC('same-as-global', [jwtFor(global)])
  const type = s.putType('t', ['ws'])
  const both = s.putType('both', ['same-as-global'])
  const g = await decide(s, type, 'lc', bearer(await global.token({ email: 'g@example.com' })))
  t.match(g, { kind: 'user', method: 'oidc', user: { name: 'global:g@example.com' } }, 'a global token works in the workspace')
  const w = await decide(s, type, 'lc', bearer(await ws.token({ email: 'w@example.com' })))
  t.match(w, { kind: 'user', method: 'workspace', user: { name: 'oidc:w@example.com' } })
  const elsewhere = await s.auth.authenticate(bearer(await ws.token({ email: 'w@example.com' })))
  t.equal(elsewhere.kind, 'unauthorized', 'outside the workspace type the workspace token is refused')
  const shared = await decide(s, both, 'lc', bearer(await global.token({ email: 'x@example.com' })))
  t.match(shared, { method: 'oidc', user: { name: 'global:x@example.com' } }, 'a token both accept: the global authenticator wins, as in the union')

  t.test('authenticateCached gives the decision authenticate gave, once cached', async (t) => {
    const token = await ws.token({ email: 'c@example.com' })
    const wa = s.workspace.authenticatorFor(type, 'lc')!
    t.equal(s.auth.authenticateCached(bearer(token), { workspaceAuthenticator: wa }), undefined, 'first: ask authenticate()')
    const full = await s.auth.authenticate(bearer(token), { workspaceAuthenticator: wa })
    t.same(s.auth.authenticateCached(bearer(token), { workspaceAuthenticator: wa }), full, 'then the same decision without a promise')
    t.same(s.auth.authenticateCached(bearer(token), { workspaceAuthenticator: s.workspace.authenticatorFor(type, 'lc')! }), full, 'with a fresh authenticatorFor() too')
    t.equal(s.auth.authenticateCached(bearer(token)), undefined, 'without the workspace authenticator: not decided here')
    t.equal(s.auth.authenticateCached(bearer('bogus')), undefined, 'a failure is never cached')
  })
})
