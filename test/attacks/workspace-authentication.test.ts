// Per-workspace authentication (kcp WorkspaceAuthentication) attacked through the real server: a
// workspace type's own issuer is believed only in workspaces of that type, only with upstream's
// wrapping (no system: names or groups, no kcp.io extras, the cluster scope added), never as a
// global identity; forged, unsigned and foreign-key tokens are refused before any shard sees them.
import t from 'tap'
import { SignJWT } from 'jose'
import { startIssuer, type EmulatedIssuer } from '../../src/emulator/index.js'
import { arena, attempt, bearer, forged, protocols, rawH2, rawTLS, readUntilClose, refused, reviewBody, reviewPath, type Arena } from './arena.js'
import { eventually } from '../fixtures/eventually.js'

const jwt = (iss: EmulatedIssuer): object => ({
  issuer: { url: iss.url, certificateAuthority: iss.ca, audiences: ['kcp'] },
  claimMappings: { username: { claim: 'email', prefix: 'oidc:' }, groups: { claim: 'groups', prefix: 'oidc:' }, extra: [{ key: 'example.com/kcp.io-smuggle', valueExpression: "'x'" }] },
})

async function setup(t: Parameters<typeof arena>[0], auth: 'full' | 'client-cert-only') {
  const a = await arena(t, { auth, input: { extra: { featureGates: { WorkspaceAuthentication: true } } } })
  const partnerIdP = await startIssuer({ name: 'partner' })
  const otherIdP = await startIssuer({ name: 'other' })
  t.teardown(() => Promise.all([partnerIdP.close(), otherIdP.close()]))
  await a.topo.putAuthConfig('root:org', 'partner-oidc', { jwt: [jwt(partnerIdP)] })
  await a.topo.putWorkspaceType('root:org', 'partner', { authenticationConfigurations: ['partner-oidc'] })
  await a.topo.putAuthConfig('root:org', 'other-oidc', { jwt: [jwt(otherIdP)] })
  await a.topo.putWorkspaceType('root:org', 'other', { authenticationConfigurations: ['other-oidc'] })
  const team = await a.topo.createWorkspace('root:org', 'team', { shard: 'alpha', type: 'root:org:partner' })
  await a.topo.createWorkspace('root:org', 'rival', { shard: 'alpha', type: 'root:org:other' })
  return { a, partnerIdP, otherIdP, team }
}

const token = (iss: EmulatedIssuer, claims: Record<string, unknown>): Promise<string> => iss.token({ email: 'dev@partner.example', groups: ['eng'], ...claims }, { audience: 'kcp', ttlSeconds: 300 })

async function served(t: Parameters<typeof arena>[0], a: Arena, p: (typeof protocols)[number], workspace: string, tok: string) {
  // A WAC is usable once its watch event arrived and its keys loaded; poll that, bounded.
  let last: Awaited<ReturnType<typeof attempt>> | undefined
  await eventually(`the workspace token accepted in ${workspace}`, async () => (last = await attempt(a, p, { workspace, headers: { ...forged, ...bearer(tok) } })).status === 201)
  return last!.user!
}

for (const auth of ['full', 'client-cert-only'] as const) {
  for (const p of protocols) {
    t.test(`workspace authentication (${auth}, ${p}): a partner token works in its workspace, wrapped as upstream, and nowhere else`, async (t) => {
      const { a, partnerIdP, otherIdP, team } = await setup(t, auth)
      const tok = await token(partnerIdP, { groups: ['eng', 'system:masters'] })
      const user = await served(t, a, p, 'root:org:team', tok)
      t.equal(user.username, 'oidc:dev@partner.example')
      t.same([...user.groups].sort(), ['oidc:eng', 'oidc:system:masters', 'system:authenticated'], 'prefixed claims only; system:authenticated added; no forged group')
      t.same(user.extra?.['authentication.kcp.io/scopes'], [`cluster:${team.cluster}`], 'scoped to the workspace\'s logical cluster')
      t.same(user.extra?.['authentication.kcp.io/cluster-name'], [team.cluster])
      t.notOk(Object.keys(user.extra ?? {}).some((k) => k.includes('kcp.io-smuggle')), 'extra keys containing kcp.io are dropped')
      // The same token in a workspace of another type, and in one without workspace authentication.
      for (const elsewhere of ['root:org:rival', 'root:org']) {
        const r = await attempt(a, p, { workspace: elsewhere, headers: bearer(tok) })
        t.equal(r.status, 401, `${elsewhere}: refused (by the proxy, or by the shard that never heard of the token)`)
        t.notOk(r.user, `${elsewhere}: no identity`)
      }
      // Another type's issuer is not believed here.
      t.equal((await attempt(a, p, { workspace: 'root:org:team', headers: bearer(await token(otherIdP, {})) })).status, 401, 'another workspace type\'s issuer: 401')
    })
  }

  t.test(`workspace authentication (${auth}): unsigned, foreign-key and malformed tokens are refused at the proxy; a prefixed system: e-mail is just a name`, async (t) => {
    const { a, partnerIdP } = await setup(t, auth)
    await served(t, a, 'HTTP/1.1', 'root:org:team', await token(partnerIdP, {}))
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: partnerIdP.url, aud: 'kcp', email: 'dev@partner.example', iat: now, exp: now + 300 }
    const none = `${b64({ alg: 'none' })}.${b64(claims)}.`
    const { generateKeyPair } = await import('jose')
    const { privateKey } = await generateKeyPair('RS256')
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).sign(privateKey)
    const systemUser = await token(partnerIdP, { email: 'system:admin' })
    for (const [what, tok] of [['alg none', none], ['signed with a key not the issuer\'s', foreign], ['garbage', 'eyJ.not-a.jwt']] as const) {
      await refused(t, a, 'HTTP/1.1', { workspace: 'root:org:team', headers: bearer(tok) }, what)
    }
    // The username prefix makes a `system:` e-mail harmless (oidc:system:admin); without one it is rejected.
    const r = await attempt(a, 'HTTP/1.1', { workspace: 'root:org:team', headers: bearer(systemUser) })
    t.equal(r.user?.username, 'oidc:system:admin', 'a prefixed system: name is just a name')
  })
}

// A request's token and its hash are memoised in the request (src/auth/bearer.ts): never shared
// with another request on the same connection, however they interleave.
t.test('token confusion: different tokens interleaved on one connection (concurrent HTTP/2 streams, pipelined HTTP/1.1) each get their own answer', async (t) => {
  const { a, partnerIdP } = await setup(t, 'full')
  const alice = await token(partnerIdP, { email: 'alice@partner.example' })
  const bob = await token(partnerIdP, { email: 'bob@partner.example' })
  await served(t, a, 'HTTP/2', 'root:org:team', alice)
  await served(t, a, 'HTTP/2', 'root:org:team', bob)
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  const unsigned = `${b64({ alg: 'none' })}.${b64({ iss: partnerIdP.url, aud: 'kcp', email: 'alice@partner.example', exp: Math.floor(Date.now() / 1000) + 300 })}.`
  // Per request: the token sent (undefined: none) and the user the shard must see (undefined: 401).
  const round: [string | undefined, string | undefined][] = [[alice, 'oidc:alice@partner.example'], [unsigned, undefined], [bob, 'oidc:bob@partner.example'], [undefined, undefined]]
  const sequence = [...round, ...round, ...round]
  const want = sequence.map(([, user]) => user ?? 401)
  const path = reviewPath('root:org:team')

  const s = await rawH2(t, a)
  const got = await Promise.all(sequence.map(([tok]) => new Promise<string | number>((resolve, reject) => {
    const st = s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json', ...forged, ...(tok !== undefined ? bearer(tok) : {}) })
    let status = 0
    let body = ''
    st.on('response', (h) => { status = Number(h[':status']) })
    st.setEncoding('utf8')
    st.on('data', (c: string) => { body += c })
    st.on('end', () => resolve(status === 201 ? (JSON.parse(body) as { status: { userInfo: { username: string } } }).status.userInfo.username : status))
    st.on('error', reject)
    st.end(reviewBody)
  })))
  t.same(got, want, 'HTTP/2: twelve concurrent streams, each answered for its own token')

  const tls = await rawTLS(t, a)
  const host = new URL(a.proxy.url).host
  tls.write(sequence.map(([tok], i) => [
    `POST ${path} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(reviewBody)}`,
    ...Object.entries(forged).map(([k, v]) => `${k}: ${v}`), ...(tok !== undefined ? [`Authorization: Bearer ${tok}`] : []),
    ...(i === sequence.length - 1 ? ['Connection: close'] : []), '', reviewBody,
  ].join('\r\n')).join(''))
  const { text, closed } = await readUntilClose(tls, 10_000)
  t.ok(closed, 'the proxy answered every pipelined request and closed as asked')
  // In order: each 201 carries one review (its username), each 401 none.
  const answers = [...text.matchAll(/HTTP\/1\.1 (\d{3})|"username":"([^"]*)"/g)]
  const pipelined: (string | number)[] = []
  for (const [, status, user] of answers) {
    if (status === undefined) pipelined[pipelined.length - 1] = user
    else pipelined.push(Number(status))
  }
  t.same(pipelined, want, 'HTTP/1.1: twelve pipelined requests, each answered for its own token')
})
