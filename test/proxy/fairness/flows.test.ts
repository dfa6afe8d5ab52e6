// Which flow a request belongs to, and which requests are exempt from queuing.
import t from 'tap'
import type { UserInfo } from '../../../src/auth/types.js'
import { EXEMPT, HEALTH_FLOW, flowOf, isHealthPath } from '../../../src/proxy/fairness/flows.js'

const user = (name: string, ...groups: string[]): UserInfo => ({ name, groups, extra: {} })

t.test('flows and exemptions', async (t) => {
  const cases: { name: string; user: UserInfo | undefined; cluster: string; path: string; key: 'user' | 'user-workspace'; want: string | typeof EXEMPT }[] = [
    { name: 'by user: the user name', user: user('alice', 'dev'), cluster: 'c1', path: '/clusters/c1/api', key: 'user', want: 'alice' },
    { name: 'by user: the same user in another workspace is the same flow', user: user('alice'), cluster: 'c2', path: '/clusters/c2/api', key: 'user', want: 'alice' },
    { name: 'by user and workspace: both', user: user('alice'), cluster: 'c1', path: '/clusters/c1/api', key: 'user-workspace', want: 'alice\0c1' },
    { name: 'not authenticated here: one flow per workspace', user: undefined, cluster: 'c1', path: '/clusters/c1/api', key: 'user', want: '\0c1' },
    { name: 'system:masters is exempt', user: user('admin', 'system:authenticated', 'system:masters'), cluster: 'c1', path: '/clusters/c1/api', key: 'user', want: EXEMPT },
    { name: 'a shard health check is its own flow (bounded, served in turn; anyone may send one)', user: undefined, cluster: '', path: '/readyz?verbose', key: 'user', want: HEALTH_FLOW },
    { name: 'a health check below /livez is the health flow', user: user('alice'), cluster: '', path: '/livez/ping', key: 'user-workspace', want: HEALTH_FLOW },
  ]
  for (const c of cases) t.equal(flowOf(c.user, c.cluster, c.path, c.key), c.want, c.name)
})

t.test('health paths: the three endpoints and their checks, nothing that only starts alike', async (t) => {
  const cases: [string, boolean][] = [
    ['/healthz', true], ['/livez', true], ['/readyz', true], ['/healthz/etcd', true], ['/readyz?exclude=x', true],
    ['/healthzz', false], ['/clusters/root/healthz', false], ['/api/healthz', false], ['/', false], ['', false],
  ]
  for (const [path, want] of cases) t.equal(isHealthPath(path), want, JSON.stringify(path))
})
