import t from 'tap'
import { createCA } from '../../src/pki/index.js'
import { authentication, authRequest, baseOptions, LogCapture, startFakeRoot, tempDir, writeFile } from './fixtures.js'

t.test('/metrics: anonymous 401, denied 403, allowed 200, authorizer error 500 (metrics_authz_test)', async (t) => {
  const dir = tempDir(t)
  const ca = await createCA('client-ca')
  let fail = false
  const root = await startFakeRoot(t, (method, url, body) => {
    if (fail) return { status: 500, body: {} }
    if (method !== 'POST' || url !== '/clusters/root/apis/authorization.k8s.io/v1/subjectaccessreviews') return { status: 404 }
    const spec = (body as { spec: { user: string } }).spec
    return { status: 201, body: { status: spec.user === 'prometheus' ? { allowed: true } : { allowed: false, reason: 'no RBAC policy matched' } } }
  })
  const log = new LogCapture()
  const auth = await authentication(t, baseOptions({ clientCAFile: writeFile(dir, 'ca.pem', ca.cert), tokenAuthFile: writeFile(dir, 't.csv', 'prom-token,prometheus,1\nbob-token,bob,2,"system:masters,devs"\n') }), {
    logger: log.logger,
    rootConfig: root.config,
  })

  // What the /metrics endpoint answers: 200 when allowed, else the refusal's status and message.
  const scrape = async (o: Parameters<typeof authRequest>[0] = {}) => {
    const m = await auth.authorizeMetrics(authRequest(o))
    return m.allowed ? { status: 200, message: '' } : { status: m.status, message: m.message }
  }
  const anon = await scrape()
  t.same([anon.status, anon.message], [401, 'Unauthorized'])

  const denied = await scrape({ headers: { authorization: 'Bearer bob-token' } })
  t.equal(denied.status, 403)
  t.equal(denied.message, 'forbidden: User "bob" cannot get path "/metrics": no RBAC policy matched')
  const sar = root.requests[0].body as { spec: Record<string, unknown> }
  t.same(sar.spec.nonResourceAttributes, { path: '/metrics', verb: 'get' })
  t.same(sar.spec.groups, ['devs', 'system:authenticated'], 'the SAR sees the filtered groups')

  const cert = await ca.issue({ commonName: 'prometheus', usage: 'client' })
  t.equal((await scrape({ cert })).status, 200)
  const n = root.requests.length
  t.equal((await scrape({ headers: { authorization: 'Bearer prom-token' } })).status, 200)
  t.equal(root.requests.length, n + 1, 'token-file prometheus has another identity key (uid) than the cert one')
  t.equal((await scrape({ headers: { authorization: 'Bearer prom-token' } })).status, 200)
  t.equal(root.requests.length, n + 1, 'allow decision cached on the identity')

  fail = true
  const err = await scrape({ headers: { authorization: 'Bearer bob-token' } })
  t.equal(err.status, 403, 'deny still cached (30 s)')
  const carol = await ca.issue({ commonName: 'carol', usage: 'client' })
  const e500 = await scrape({ cert: carol })
  t.equal(e500.status, 500)
  t.match(e500.message, /^Internal error occurred: SubjectAccessReview: HTTP 500/)
  t.notMatch(log.text, /prom-token|bob-token/)
})
