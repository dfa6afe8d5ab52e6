import t from 'tap'
import { inClusterServiceAccountPath } from '../../src/proxy/sa-rewrite.js'

function jwt(claims: object): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${enc({ alg: 'RS256' })}.${enc(claims)}.c2ln`
}

t.test('in-cluster service-account requests are prefixed with the token cluster (spec §5.6)', async (t) => {
  const modern = `Bearer ${jwt({ 'kubernetes.io': { clusterName: 'abc123' } })}`
  const legacy = `Bearer ${jwt({ 'kubernetes.io/serviceaccount/clusterName': 'legacy1' })}`
  const cases: [string, string | undefined, string | undefined, string | undefined][] = [
    ['/api/v1/namespaces', modern, undefined, '/clusters/abc123/api/v1/namespaces'],
    ['/api/v1/namespaces/', modern, undefined, '/clusters/abc123/api/v1/namespaces'],
    ['/apis', legacy, undefined, '/clusters/legacy1/apis'],
    ['/clusters/x/api', modern, undefined, undefined],
    ['/services/x/api', modern, undefined, undefined],
    ['/api', modern, 'true', undefined],
    ['/api', undefined, undefined, undefined],
    ['/api', 'Basic Zm9vOmJhcg==', undefined, undefined],
    ['/api', 'Bearer opaque-token', undefined, undefined],
    ['/api', `Bearer ${jwt({ sub: 'x' })}`, undefined, undefined],
    ['/api', 'Bearer a.!!!.c', undefined, undefined],
    ['/api', `Bearer ${jwt({ 'kubernetes.io': { clusterName: '../../services/evil' } })}`, undefined, undefined],
  ]
  for (const [path, auth, sharded, want] of cases) t.equal(inClusterServiceAccountPath(path, auth, sharded), want, `${path} ${auth ?? ''}`)
})
