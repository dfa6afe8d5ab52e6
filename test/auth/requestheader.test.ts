import t from 'tap'
import { createCA } from '../../src/pki/index.js'
import { goPathUnescape, userFromHeaders } from '../../src/auth/requestheader.js'
import { authentication, baseOptions, decide, LogCapture, tempDir, writeFile } from './fixtures.js'

const cfg = { usernameHeaders: ['X-Remote-User'], uidHeaders: ['X-Remote-Uid'], groupHeaders: ['X-Remote-Group'], extraHeaderPrefixes: ['X-Remote-Extra-'], allowedNames: [] }

t.test('identity from headers: first user header, every group value, extras un-escaped and lowercased', async (t) => {
  const u = userFromHeaders(
    {
      headers: {},
      headersDistinct: {
        'x-remote-user': ['alice', 'ignored'],
        'x-remote-uid': ['u1'],
        'x-remote-group': ['a', 'b, c'],
        'x-remote-extra-authentication.kcp.io%2fcluster-name': ['root'],
        'x-remote-extra-scopes': ['s1', 's2'],
      },
      peerCertificates: [],
    },
    cfg,
  )
  t.same(u, { name: 'alice', uid: 'u1', groups: ['a', 'b, c'], extra: { 'authentication.kcp.io/cluster-name': ['root'], scopes: ['s1', 's2'] } })
  t.equal(userFromHeaders({ headers: { 'x-remote-group': 'g' }, peerCertificates: [] }, cfg), null, 'no user header: not applicable')
  t.same(userFromHeaders({ headers: { 'x-remote-user': 'bob', 'x-remote-group': 'g' }, peerCertificates: [] }, cfg)?.groups, ['g'], 'falls back to joined headers')
})

t.test('goPathUnescape: invalid escapes keep the key as is', async (t) => {
  const cases: [string, string][] = [
    ['a%2fb', 'a/b'],
    ['plain', 'plain'],
    ['bad%zz', 'bad%zz'],
    ['%c3%bc', 'ü'],
    ['%', '%'],
  ]
  for (const [i, want] of cases) t.equal(goPathUnescape(i), want, i)
})

t.test('createAuthentication: headers are believed only from an allowed requestheader-CA client certificate', async (t) => {
  const dir = tempDir(t)
  const rhCA = await createCA('requestheader-ca')
  const clientCA = await createCA('client-ca')
  const log = new LogCapture()
  const auth = await authentication(
    t,
    baseOptions({
      clientCAFile: writeFile(dir, 'client.pem', clientCA.cert),
      requestheaderClientCAFile: writeFile(dir, 'rh.pem', rhCA.cert),
      requestheaderUsernameHeaders: ['X-Remote-User'],
      requestheaderGroupHeaders: ['X-Remote-Group'],
      requestheaderExtraHeadersPrefix: ['X-Remote-Extra-'],
      requestheaderAllowedNames: ['kcp-mounts-proxy'],
    }),
    { logger: log.logger },
  )
  t.equal(auth.clientCAs().length, 2, 'both CAs advertised')
  const proxyCert = await rhCA.issue({ commonName: 'kcp-mounts-proxy', usage: 'client' })
  const r = await decide(auth, { cert: proxyCert, headers: { 'X-Remote-User': 'carol', 'X-Remote-Group': ['team', 'system:masters'], 'X-Remote-Extra-Authentication.kcp.io%2Fscopes': 'cluster:abc' } })
  t.equal(r.decision.method, 'requestheader')
  t.equal(r.headers['X-Remote-User'], 'carol')
  t.same(r.headers['X-Remote-Group'], ['system:authenticated', 'team'], 'drop groups apply to asserted identities too')
  t.same(r.headers['X-Remote-Extra-authentication.kcp.io%2Fscopes'], ['cluster:abc'])

  const proxyNoUser = await decide(auth, { cert: proxyCert })
  t.equal(proxyNoUser.status, 401, 'allowed proxy cert without user header is not an x509 user of another CA')
})
