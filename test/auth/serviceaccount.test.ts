import t from 'tap'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { Registry } from 'prom-client'
import { SignJWT, type JWTPayload } from 'jose'
import { createAuthentication } from '../../src/auth/index.js'
import { loadSAKeys, rootBase, saClaims } from '../../src/auth/serviceaccount.js'
import { baseOptions, LogCapture, startFakeRoot, tempDir, writeFile } from './fixtures.js'

const bearer = (tok: string) => ({ headers: { authorization: `Bearer ${tok}` }, peerCertificates: [] })

function shardKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) as string }
}

function boundClaims(cluster: string, over: Record<string, unknown> = {}): JWTPayload {
  return {
    sub: 'system:serviceaccount:default:builder',
    'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'builder', uid: 'sa-uid' }, clusterName: cluster, ...over },
  }
}

async function sign(key: KeyObject, claims: JWTPayload, o: { iss?: string; aud?: string; exp?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const j = new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer(o.iss ?? 'https://kcp.default.svc').setIssuedAt(now)
  if (o.aud !== undefined || o.iss !== 'kubernetes/serviceaccount') j.setAudience(o.aud ?? 'https://kcp.default.svc')
  if (o.iss !== 'kubernetes/serviceaccount') j.setExpirationTime(o.exp ?? now + 600)
  return j.sign(key)
}

t.test('bound tokens of workspaces on any shard verify when all shards\' keys are given (lookup off)', async (t) => {
  const dir = tempDir(t)
  const rootShard = shardKey()
  const otherShard = shardKey()
  const stranger = shardKey()
  const log = new LogCapture()
  const auth = await createAuthentication(
    baseOptions({ serviceAccountKeyFiles: [writeFile(dir, 'root.pub', rootShard.pem), writeFile(dir, 'other.pub', otherShard.pem)], serviceAccountLookup: false }),
    { logger: log.logger, registry: new Registry() },
  )
  t.teardown(() => auth.close())
  for (const key of [rootShard.privateKey, otherShard.privateKey]) {
    const d = await auth.authenticate(bearer(await sign(key, boundClaims('2xk5', { pod: { name: 'p', uid: 'pu' } }))))
    t.same(d, {
      kind: 'user',
      method: 'serviceaccount',
      user: {
        name: 'system:serviceaccount:default:builder',
        uid: 'sa-uid',
        groups: ['system:authenticated', 'system:serviceaccounts', 'system:serviceaccounts:default'],
        extra: { 'authentication.kcp.io/cluster-name': ['2xk5'], 'authentication.kubernetes.io/pod-name': ['p'], 'authentication.kubernetes.io/pod-uid': ['pu'] },
      },
    })
  }
  t.equal((await auth.authenticate(bearer(await sign(stranger.privateKey, boundClaims('x'))))).kind, 'unauthorized', 'unknown key')
  t.equal((await auth.authenticate(bearer(await sign(rootShard.privateKey, boundClaims('x'), { aud: 'other' })))).kind, 'unauthorized', 'other audience')
  t.equal((await auth.authenticate(bearer(await sign(rootShard.privateKey, boundClaims('x'), { exp: Math.floor(Date.now() / 1000) - 120 })))).kind, 'unauthorized', 'expired')
  t.equal((await auth.authenticate(bearer(await sign(rootShard.privateKey, { ...boundClaims('x'), sub: 'system:serviceaccount:kube-system:admin' })))).kind, 'unauthorized', 'sub mismatch')
  const legacy = await sign(rootShard.privateKey, {
    sub: 'system:serviceaccount:ns1:old',
    'kubernetes.io/serviceaccount/namespace': 'ns1',
    'kubernetes.io/serviceaccount/service-account.name': 'old',
    'kubernetes.io/serviceaccount/service-account.uid': 'old-uid',
    'kubernetes.io/serviceaccount/secret.name': 'old-token-abc',
    'kubernetes.io/serviceaccount/clusterName': 'root',
  }, { iss: 'kubernetes/serviceaccount' })
  const dl = await auth.authenticate(bearer(legacy))
  t.equal(dl.kind === 'user' ? dl.user.name : dl.kind, 'system:serviceaccount:ns1:old', 'legacy token')
})

t.test('lookup (--service-account-lookup) GETs the SA and secret through the root connection', async (t) => {
  const dir = tempDir(t)
  const k = shardKey()
  let saUID = 'sa-uid'
  let legacyToken = ''
  const root = await startFakeRoot(t, (_m, url) => {
    if (url === '/clusters/2xk5/api/v1/namespaces/default/serviceaccounts/builder') return { status: 200, body: { metadata: { name: 'builder', uid: saUID } } }
    if (url === '/clusters/root/api/v1/namespaces/ns1/serviceaccounts/old') return { status: 200, body: { metadata: { uid: 'old-uid' } } }
    if (url === '/clusters/root/api/v1/namespaces/ns1/secrets/old-token') return { status: 200, body: { metadata: {}, data: { token: Buffer.from(legacyToken).toString('base64') } } }
    return { status: 404, body: { kind: 'Status' } }
  }, '/clusters/root')
  const log = new LogCapture()
  const auth = await createAuthentication(baseOptions({ serviceAccountKeyFiles: [writeFile(dir, 'k.pub', k.pem)], serviceAccountLookup: true }), { logger: log.logger, registry: new Registry(), rootConfig: root.config })
  t.teardown(() => auth.close())
  const tok = await sign(k.privateKey, boundClaims('2xk5'))
  t.equal((await auth.authenticate(bearer(tok))).kind, 'user')
  t.equal(root.requests[0]?.url, '/clusters/2xk5/api/v1/namespaces/default/serviceaccounts/builder', '/clusters/root suffix of the kubeconfig replaced by the token cluster')
  t.equal(root.requests[0]?.authorization, 'Bearer root-admin-token')
  saUID = 'recreated'
  t.equal((await auth.authenticate(bearer(await sign(k.privateKey, boundClaims('2xk5', { warnafter: 1 }))))).kind, 'unauthorized', 'recreated SA (uid mismatch)')
  t.equal((await auth.authenticate(bearer(await sign(k.privateKey, boundClaims('elsewhere'))))).kind, 'unauthorized', 'SA not found through root: 401 (upstream cross-shard limitation)')
  const legacyClaims = {
    sub: 'system:serviceaccount:ns1:old',
    'kubernetes.io/serviceaccount/namespace': 'ns1',
    'kubernetes.io/serviceaccount/service-account.name': 'old',
    'kubernetes.io/serviceaccount/service-account.uid': 'old-uid',
    'kubernetes.io/serviceaccount/secret.name': 'old-token',
    'kubernetes.io/serviceaccount/clusterName': 'root',
  }
  legacyToken = await sign(k.privateKey, legacyClaims, { iss: 'kubernetes/serviceaccount' })
  t.equal((await auth.authenticate(bearer(legacyToken))).kind, 'user', 'legacy token matching its secret')
  const otherLegacy = await sign(k.privateKey, { ...legacyClaims, jti: 'x' }, { iss: 'kubernetes/serviceaccount' })
  t.equal((await auth.authenticate(bearer(otherLegacy))).kind, 'unauthorized', 'legacy token not in the secret (revoked)')
  t.notMatch(log.text, /eyJ|root-admin-token/)
})

t.test('lookup without a root kubeconfig is a startup error', async (t) => {
  const dir = tempDir(t)
  const log = new LogCapture()
  await t.rejects(createAuthentication(baseOptions({ serviceAccountKeyFiles: [writeFile(dir, 'k.pub', shardKey().pem)], serviceAccountLookup: true }), { logger: log.logger, registry: new Registry() }), /--service-account-lookup needs the root kubeconfig/)
})

t.test('key files: public keys and certificates load, garbage names the file', async (t) => {
  const dir = tempDir(t)
  const k = shardKey()
  const keys = loadSAKeys([writeFile(dir, 'a.pem', k.pem + '\n' + shardKey().pem)])
  t.equal(keys.length, 2)
  t.match(keys[0].kid, /^[A-Za-z0-9_-]{43}$/)
  t.throws(() => loadSAKeys([writeFile(dir, 'bad.pem', 'nothing')]), /bad\.pem: no PEM public key/)
  t.throws(() => loadSAKeys([`${dir}/none.pem`]), /none\.pem: cannot read/)
})

t.test('claims and root URL helpers', async (t) => {
  t.throws(() => saClaims({ 'kubernetes.io': { namespace: 'a' } }, false), /missing namespace, name or uid/)
  t.equal(rootBase(new URL('https://h:6443/clusters/root')), 'https://h:6443')
  t.equal(rootBase(new URL('https://h/prefix/')), 'https://h/prefix')
})
