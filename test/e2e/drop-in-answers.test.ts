// The answers where this proxy once differed from the Go front-proxy in front of real kcp (issue 14),
// now the same: repeated headers (kubectl --as-group twice), Status bytes (trailing newline,
// pretty for ?pretty and curl), health probes as upstream's (POST /livez, /readyz/informer-sync),
// and upstream's redirect for paths its mux cleans. Through the real proxy, kubectl where it is the user.
import t from 'tap'
import { startE2E } from './fixtures/env.js'
import { h1, h2 } from '../proxy/fixtures/client.js'

const e = await startE2E(t)
const admin = { cert: e.topo.pki.admin.cert, key: e.topo.pki.admin.key }

t.test('kubectl auth whoami --as alice --as-group twice: the shard sees two groups, as through the Go proxy', async (t) => {
  const kc = e.kubeconfigFor(e.org.cluster)
  const r = await e.kubectl(kc, ['auth', 'whoami', '--as', 'alice', '--as-group', 'system:kcp:admin', '--as-group', 'team-x', '-o', 'json'])
  t.equal(r.code, 0, r.stderr)
  const info = (JSON.parse(r.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo
  t.equal(info.username, 'alice')
  t.ok(info.groups.includes('system:kcp:admin') && info.groups.includes('team-x'), `two groups, not one joined by a comma: ${JSON.stringify(info.groups)}`)
})

t.test('Impersonate-Group repeated over HTTP/2 stays two groups at the shard', async (t) => {
  const r = await h2(`${e.proxyURL}/clusters/root:org/apis/authentication.k8s.io/v1/selfsubjectreviews`, e.ca, {
    method: 'POST', ...admin,
    headers: { 'content-type': 'application/json', 'impersonate-user': 'alice', 'impersonate-group': ['g1', 'g2'] },
    body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
  })
  t.equal(r.status, 201, r.body)
  const groups = (JSON.parse(r.body) as { status: { userInfo: { groups: string[] } } }).status.userInfo.groups
  t.ok(groups.includes('g1') && groups.includes('g2'), JSON.stringify(groups))
})

t.test('Status bodies are the Kubernetes serializer\'s bytes: a trailing newline; indented for ?pretty=true and for curl', async (t) => {
  const url = `${e.proxyURL}/clusters/root:nope/api/v1/namespaces`
  const compact = await h1(url, e.ca, { headers: { 'user-agent': 'kubectl/v1.34' } })
  t.equal(compact.status, 403)
  t.equal(compact.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"\\" cannot get path \\"/clusters/root:nope/api/v1/namespaces\\": workspace access not permitted: workspace \\"root:nope\\" does not exist","reason":"Forbidden","details":{},"code":403}\n')
  t.equal(compact.headers['content-length'], String(Buffer.byteLength(compact.body)))
  for (const [what, u, ua] of [['?pretty=true', `${url}?pretty=true`, 'kubectl/v1.34'], ['curl', url, 'curl/8.5.0'], ['a browser', url, 'Mozilla/5.0 (X11)'], ['?pretty=1', `${url}?pretty=1`, 'x']] as const) {
    const r = await h1(u, e.ca, { headers: { 'user-agent': ua } })
    t.match(r.body, /^\{\n {2}"kind": "Status",\n {2}"apiVersion": "v1",\n {2}"metadata": \{\},\n/, `${what}: indented`)
    t.ok(r.body.endsWith('\n  "code": 403\n}\n'), `${what}: ends like the serializer`)
  }
  const notPretty = await h1(`${url}?pretty=false`, e.ca, { headers: { 'user-agent': 'curl/8.5.0' } })
  t.notMatch(notPretty.body, /\n {2}/, '?pretty=false wins over the user agent')
})

t.test('health as upstream probes it: POST /livez, /readyz/informer-sync, /livez/ping', async (t) => {
  t.equal((await h1(`${e.proxyURL}/livez`, e.ca, { method: 'POST' })).status, 200, 'POST /livez')
  const informer = await h1(`${e.proxyURL}/readyz/informer-sync`, e.ca)
  t.equal(informer.status, 200)
  t.equal(informer.body, 'ok')
  t.equal((await h1(`${e.proxyURL}/livez/ping`, e.ca)).body, 'ok')
})

t.test('paths upstream\'s mux cleans (//, /./, /../) get its redirect to the clean path; encoded ones are refused', async (t) => {
  const cases: [string, string][] = [
    ['//clusters/root:org/api', '/clusters/root:org/api'],
    ['/clusters//root:org/api', '/clusters/root:org/api'],
    ['/clusters/root:org/api//v1?limit=1', '/clusters/root:org/api/v1?limit=1'],
    ['/clusters/root:org/./api', '/clusters/root:org/api'],
    ['/clusters/root:nope/../root:org/api', '/clusters/root:org/api'],
  ]
  for (const [path, location] of cases) {
    const r = await h1(`${e.proxyURL}${path}`, e.ca, admin)
    t.equal(r.status, 307, `${path}: 307`)
    t.equal(r.headers.location, location, `${path}: Location`)
    t.equal(r.body, `<a href="${location}">Temporary Redirect</a>.\n\n`, `${path}: Go's body`)
    const followed = await h1(`${e.proxyURL}${location}`, e.ca, admin)
    t.equal(followed.status, 200, `${location}: the clean path is served`)
  }
  const post = await h1(`${e.proxyURL}/clusters//root:org/api`, e.ca, { ...admin, method: 'POST', body: '{}' })
  t.equal(post.status, 307)
  t.equal(post.body, '', 'no body but for GET, as Go')
  t.equal((await h1(`${e.proxyURL}/clusters/root:org/%2e%2e/api`, e.ca, admin)).status, 400, 'encoded dot-segments: 400 (deliberate)')
  t.equal((await h1(`${e.proxyURL}/clusters/root%2Forg/api`, e.ca, admin)).status, 400, '%2F in the cluster: 400 (deliberate)')
})
