// Attack: a client sends its own X-Remote-User/Group/Extra-* headers through the proxy,
// hoping the shard (which trusts those headers on the proxy's connection) believes them.
// The shard's SelfSubjectReview shows which identity actually arrived.
import t, { type Test } from 'tap'
import { connect as h2connect } from 'node:http2'
import { Agent, request } from 'undici'
import { startE2E } from './fixtures/env.js'

const e = await startE2E(t)
const reviewPath = '/clusters/root:org/apis/authentication.k8s.io/v1/selfsubjectreviews'
const reviewBody = JSON.stringify({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1' })
// What kubectl sends, plus the forgeries in several spellings.
const forged: Record<string, string | string[]> = {
  'user-agent': 'kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07',
  'kubectl-command': 'kubectl auth whoami',
  'x-remote-user': 'system:admin',
  'X-Remote-Group': ['system:masters', 'forged-group'],
  'X-REMOTE-EXTRA-authentication.kcp.io%2Fscopes': 'cluster:forged',
  'x-remote-extra-forged': 'yes',
  'X-Remote-Uid': 'forged-uid',
}
const withCert = new Agent({ connect: { ca: e.ca, cert: e.topo.pki.admin.cert, key: e.topo.pki.admin.key } })
const noCert = new Agent({ connect: { ca: e.ca } })
t.teardown(async () => { await withCert.close(); await noCert.close() })

async function review(dispatcher: Agent, extra: Record<string, string> = {}): Promise<{ status: number; body: { status: { userInfo: UserInfo } } }> {
  const res = await request(`${e.proxyURL}${reviewPath}`, {
    dispatcher, method: 'POST', body: reviewBody,
    headers: { ...forged, ...extra, 'content-type': 'application/json', accept: 'application/json' },
  })
  const text = await res.body.text()
  return { status: res.statusCode, body: text ? JSON.parse(text) : {} }
}

interface UserInfo { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }

function assertNotForged(t: Test, info: UserInfo): void {
  t.not(info.username, 'system:admin', 'forged user not believed')
  t.notOk((info.groups ?? []).includes('system:masters'), 'forged system:masters not believed')
  t.notOk((info.groups ?? []).includes('forged-group'), 'forged group not believed')
  t.notOk(JSON.stringify(info.extra ?? {}).includes('forged'), 'forged extras not believed')
  t.not(info.uid, 'forged-uid')
}

t.test('forged identity headers with a client certificate: the shard sees the certificate user', async (t) => {
  const r = await review(withCert)
  t.equal(r.status, 201)
  const info = r.body.status.userInfo
  t.equal(info.username, 'admin')
  assertNotForged(t, info)
})

t.test('forged identity headers with a bearer token: the shard authenticates the token, not the headers', async (t) => {
  const r = await review(noCert, { authorization: 'Bearer user-token' })
  t.equal(r.status, 201)
  t.equal(r.body.status.userInfo.username, 'user')
  assertNotForged(t, r.body.status.userInfo)
})

t.test('forged identity headers without any credential are not an identity', async (t) => {
  const r = await review(noCert)
  t.equal(r.status, 401, 'the shard sees an anonymous request and refuses it')
})

t.test('forged identity headers over HTTP/2 are stripped too', async (t) => {
  const session = h2connect(e.proxyURL, { ca: e.ca, cert: e.topo.pki.admin.cert, key: e.topo.pki.admin.key })
  t.teardown(() => { session.destroy() })
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ':method': 'POST', ':path': reviewPath, 'content-type': 'application/json' }
    for (const [k, v] of Object.entries(forged)) headers[k.toLowerCase()] = v
    const req = session.request(headers)
    let status = 0
    let text = ''
    req.on('response', (h) => { status = Number(h[':status']) })
    req.setEncoding('utf8').on('data', (d: string) => { text += d })
    req.on('end', () => resolve({ status, text }))
    req.on('error', reject)
    req.end(reviewBody)
  })
  t.equal(status, 201, text)
  const info = JSON.parse(text).status.userInfo
  t.equal(info.username, 'admin')
  assertNotForged(t, info)
})
