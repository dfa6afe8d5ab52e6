import t from 'tap'
import { call } from '../auth/fixtures.js'
import { arena, tryToken } from './harness.js'

const privileged = ['system:masters', 'system:kcp:logical-cluster-admin']

t.test('dropped groups cannot be smuggled through O=, token files, OIDC claims or prefixes', async (t) => {
  const a = await arena(t)
  const cert = await a.clientCA.issue({
    commonName: 'alice',
    organizations: ['system:masters', 'system:kcp:logical-cluster-admin', 'system:kcp:initializer:root:universal', 'system:kcp:terminator:x', 'team'],
    usage: 'client',
  })
  const viaCert = await call(a.srv, { cert })
  t.same(viaCert.headers['X-Remote-Group'], ['system:authenticated', 'team'])

  const viaFile = await tryToken(a, 'static-token-123')
  t.same(viaFile.headers['X-Remote-Group'], ['devs', 'system:authenticated'])

  const viaOIDC = await tryToken(a, await a.issuer.token({ email: 'e@example.com', groups: [...privileged, 'system:kcp:initializer:a:b'] }))
  t.same(viaOIDC.headers['X-Remote-Group'], ['system:authenticated'])
})

t.test('case and whitespace variants pass the filter but are different (harmless) groups to RBAC', async (t) => {
  const a = await arena(t)
  const cert = await a.clientCA.issue({ commonName: 'alice', organizations: ['System:Masters', 'SYSTEM:MASTERS', 'system:masters ', 'system:kcp:initializer'], usage: 'client' })
  const groups = (await call(a.srv, { cert })).headers['X-Remote-Group'] as string[]
  // Kubernetes RBAC and kcp's authorizers compare group names byte for byte (case-sensitive, no trimming).
  for (const g of groups) t.notOk(privileged.includes(g), `${JSON.stringify(g)} is not a privileged group name`)
  t.notOk(groups.some((g) => g.startsWith('system:kcp:initializer:')))
})

t.test('an X-Remote-Group header value with a comma is one group, not two', async (t) => {
  const a = await arena(t)
  const cert = await a.requestheaderCA.issue({ commonName: 'kcp-front-proxy', usage: 'client' })
  const r = await call(a.srv, { cert, headers: { 'X-Remote-User': 'u', 'X-Remote-Group': 'team, system:masters' } })
  t.same(r.headers['X-Remote-Group'], ['system:authenticated', 'team, system:masters'])
})
