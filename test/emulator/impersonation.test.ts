// Impersonation on an emulated shard, as a kcp shard does it: Impersonate-User/-Group/-Uid/-Extra-*,
// every repeated header line its own value (HTTP/1.1 and HTTP/2), allowed for system:masters and
// system:kcp:admin, the apiserver's 400/403 Status bodies otherwise, kcp's gatekeeper and cluster scope,
// and what `kubectl auth whoami --as … --as-group … --as-group …` prints.
import t from 'tap'
import { startTopology } from '../../src/emulator/index.js'
import { requestURL } from '../../src/emulator/client.js'
import { caFromPair } from '../../src/pki/index.js'
import { h2 } from '../proxy/fixtures/client.js'
import { kubectlRunner } from './fixtures/kubectl.js'

const topo = await startTopology()
t.teardown(() => topo.close())
const ca = topo.pki.servingCA.cert
const reviewURL = `${topo.root.baseURL}/clusters/root/apis/authentication.k8s.io/v1/selfsubjectreviews`
const review = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
// A kcp admin that is not in system:masters (kcp's own admin user): its impersonations are scoped.
const kcpAdmin = await caFromPair(topo.pki.clientCA).issue({ commonName: 'kcp-admin', organizations: ['system:kcp:admin'], usage: 'client' })
const kubectl = await kubectlRunner(t, topo.kubeconfig({ cluster: 'root' }))

interface UserInfo { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }

async function whoami(o: { token?: string; cert?: { cert: string; key: string }; headers: Record<string, string | string[]> }): Promise<{ status: number; user?: UserInfo; body: string }> {
  const r = await requestURL(reviewURL, { ca, method: 'POST', contentType: 'application/json', body: review, ...o })
  return { status: r.status, body: r.body, ...(r.status === 201 ? { user: r.json<{ status: { userInfo: UserInfo } }>().status.userInfo } : {}) }
}

t.test('kubectl auth whoami --as alice --as-group system:kcp:admin --as-group team-x (system:masters caller)', async (t) => {
  const r = await kubectl.run(['auth', 'whoami', '--as', 'alice', '--as-group', 'system:kcp:admin', '--as-group', 'team-x', '-o', 'json'])
  t.equal(r.code, 0, r.stderr)
  const info = JSON.parse(r.stdout).status.userInfo as UserInfo
  t.same(info, { username: 'alice', groups: ['system:kcp:admin', 'team-x', 'system:authenticated'] }, 'two groups, not one joined "system:kcp:admin, team-x"; masters callers are not scoped')
  const table = await kubectl.run(['auth', 'whoami', '--as', 'alice', '--as-group', 'system:kcp:admin', '--as-group', 'team-x'])
  t.match(table.stdout, /Username\s+alice/)
  t.match(table.stdout, /Groups\s+\[system:kcp:admin team-x system:authenticated\]/)
})

t.test('a system:kcp:admin caller may impersonate; kcp scopes the result to the logical cluster', async (t) => {
  const config = await kubectl.config('kcp-admin', topo.kubeconfig({ cluster: 'root', user: kcpAdmin }))
  const r = await kubectl.run(['auth', 'whoami', '--as', 'alice', '--as-group', 'system:kcp:admin', '--as-group', 'team-x', '-o', 'json'], { config })
  t.equal(r.code, 0, r.stderr)
  t.same(JSON.parse(r.stdout).status.userInfo, {
    username: 'alice', groups: ['system:kcp:admin', 'team-x', 'system:authenticated'], extra: { 'authentication.kcp.io/scopes': ['cluster:root'] },
  })
})

t.test('HTTP/1.1: every repeated Impersonate-Group / Impersonate-Extra-* line is one value, commas included', async (t) => {
  const r = await whoami({
    cert: topo.pki.admin,
    headers: { 'Impersonate-User': 'alice', 'Impersonate-Group': ['a,b', 'c'], 'Impersonate-Extra-Team': ['x', 'y, z'], 'Impersonate-Uid': 'u-1' },
  })
  t.equal(r.status, 201, r.body)
  t.same(r.user, { username: 'alice', uid: 'u-1', groups: ['a,b', 'c', 'system:authenticated'], extra: { team: ['x', 'y, z'] } })
})

t.test('HTTP/2 (http2 shards): repeated header fields stay separate values too', async (t) => {
  const h2topo = await startTopology({ http2: true })
  t.teardown(() => h2topo.close())
  const r = await h2(`${h2topo.root.baseURL}/clusters/root/apis/authentication.k8s.io/v1/selfsubjectreviews`, h2topo.pki.servingCA.cert, {
    method: 'POST', body: review, cert: h2topo.pki.admin.cert, key: h2topo.pki.admin.key,
    headers: { 'content-type': 'application/json', 'impersonate-user': 'alice', 'impersonate-group': ['system:kcp:admin', 'team-x'], 'impersonate-extra-team': ['x', 'y'] },
  })
  t.equal(r.alpn, 'h2')
  t.equal(r.status, 201, r.body)
  t.same(JSON.parse(r.body).status.userInfo, { username: 'alice', groups: ['system:kcp:admin', 'team-x', 'system:authenticated'], extra: { team: ['x', 'y'] } })
})

t.test('callers without system:masters or system:kcp:admin get the apiserver\'s 403 for the first thing they may not impersonate', async (t) => {
  const bob = await whoami({ token: 'bob-token', headers: { 'Impersonate-User': 'alice' } })
  t.equal(bob.status, 403)
  t.equal(bob.body, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope', reason: 'Forbidden', details: { name: 'alice', kind: 'users' }, code: 403 }) + '\n')
  const user = await whoami({ token: 'user-token', headers: { 'Impersonate-User': 'system:serviceaccount:default:robot' } })
  t.equal(JSON.parse(user.body).message, 'serviceaccounts "robot" is forbidden: User "user" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "default"')
  const kc = await kubectl.config('bob', topo.kubeconfig({ cluster: 'root', user: { token: 'bob-token' } }))
  // A typed command: kubectl prints a 403 on aggregated discovery as "unknown", and whoami replaces it.
  const r = await kubectl.run(['create', 'configmap', 'as-alice', '--as', 'alice'], { config: kc })
  t.not(r.code, 0)
  t.match(r.stderr, 'error: failed to create configmap: users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope')
})

t.test('extras and uids are checked as userextras/<key> and uids in authentication.k8s.io', async (t) => {
  // A requestheader identity (the front-proxy's) that may impersonate users but not this group.
  const proxied = { cert: topo.pki.proxyClient, headers: { 'X-Remote-User': 'carol', 'X-Remote-Group': 'system:kcp:admin' } }
  const ok = await whoami({ ...proxied, headers: { ...proxied.headers, 'Impersonate-User': 'dave', 'Impersonate-Extra-Reason': 'audit' } })
  t.same(ok.user, { username: 'dave', groups: ['system:authenticated'], extra: { reason: ['audit'], 'authentication.kcp.io/scopes': ['cluster:root'] } })
  const uid = await whoami({ token: 'user-token', headers: { 'Impersonate-User': 'user', 'Impersonate-Extra-Reason': 'x' } })
  t.equal(JSON.parse(uid.body).message, 'users "user" is forbidden: User "user" cannot impersonate resource "users" in API group "" at the cluster scope')
  const sar = await requestURL(`${topo.root.baseURL}/clusters/root/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
    ca, token: 'user-token', method: 'POST', contentType: 'application/json',
    body: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'impersonate', group: 'authentication.k8s.io', resource: 'userextras', subresource: 'reason' } } }),
  })
  t.equal(sar.json<{ status: { allowed: boolean } }>().status.allowed, false, 'can-i impersonate answers from the same rule')
})

t.test('groups, extras or a uid without Impersonate-User are a 400 naming the requests as Go prints them', async (t) => {
  const r = await whoami({ cert: topo.pki.admin, headers: { 'Impersonate-Group': 'team-x' } })
  t.equal(r.status, 400)
  t.equal(r.body, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'requested [{Group  team-x    }] without impersonating a user', reason: 'BadRequest', code: 400 }) + '\n')
  const uid = await whoami({ cert: topo.pki.admin, headers: { 'Impersonate-Uid': 'u-1' } })
  t.equal(JSON.parse(uid.body).message, 'requested [{UID  u-1  authentication.k8s.io/v1  }] without impersonating a user')
})

t.test('kcp\'s gatekeeper: special groups need membership, kcp.io extras need system:masters', async (t) => {
  const masters = await whoami({ cert: kcpAdmin, headers: { 'Impersonate-User': 'eve', 'Impersonate-Group': 'system:masters' } })
  t.equal(masters.status, 403)
  t.equal(masters.body, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'forbidden: impersonation is not allowed for the requestor', reason: 'Forbidden', details: {}, code: 403 }) + '\n')
  const scopes = await whoami({ cert: kcpAdmin, headers: { 'Impersonate-User': 'eve', 'Impersonate-Extra-Authentication.kcp.io%2fscopes': 'cluster:other' } })
  t.equal(JSON.parse(scopes.body).message, 'forbidden: impersonating the extra key "Authentication.kcp.io/scopes" is not allowed for the requestor')
  const byMasters = await whoami({ cert: topo.pki.admin, headers: { 'Impersonate-User': 'eve', 'Impersonate-Extra-Authentication.kcp.io%2fscopes': 'cluster:other' } })
  t.same(byMasters.user?.extra, { 'authentication.kcp.io/scopes': ['cluster:other'] }, 'system:masters may, and is not scoped')
})

t.test('the impersonated user is the one authorized: admin acting as bob is bob', async (t) => {
  const r = await kubectl.run(['get', 'configmaps', '--as', 'bob'])
  t.not(r.code, 0)
  t.match(r.stderr, 'configmaps is forbidden: User "bob" cannot list resource "configmaps" in API group "" in the namespace "default"')
  const sa = await whoami({ cert: topo.pki.admin, headers: { 'Impersonate-User': 'system:serviceaccount:default:robot' } })
  t.same(sa.user, { username: 'system:serviceaccount:default:robot', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] })
})
