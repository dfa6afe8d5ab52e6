import t from 'tap'
import { cleanPath, decodeSegment, extractCluster, pathHygieneError, splitOrigin, splitURL, verbOf } from '../../src/proxy/paths.js'

t.test('extractCluster takes the segment after the first /clusters/ (upstream lookup_test.go vectors)', async (t) => {
  const cases: [string, string][] = [
    ['/services/contentconfigurations/clusters/root:orgs:bob/apis/example.io/v1/things', 'root:orgs:bob'],
    ['/services/foo/clusters/root:orgs:bob', 'root:orgs:bob'],
    ['/services/contentconfigurations/apis/v1/namespaces', ''],
    ['', ''],
    ['/services/foo/clusters/*/apis/v1', '*'],
    ['/clusters/root:orgs:bob/api/v1/namespaces', 'root:orgs:bob'],
    ['/services/x/clusters/root%3Aorg/api', 'root:org'],
  ]
  for (const [p, want] of cases) t.equal(extractCluster(p), want, p)
})

t.test('path hygiene: encoded dot-segments and encoded slashes in the cluster segment are refused (path confusion attack)', async (t) => {
  const bad = [
    '/clusters/root/api/%2e%2e/%2e%2e/clusters/other/api',
    '/clusters/root/%2E%2E/x',
    '/clusters/root/%2e/x',
    '/clusters/root%2Fother/api',
    '/clusters/root%2fother/api',
    '/clusters/root%5Cother/api',
    '/services/x/clusters/a%2Fb/api',
    '/clusters/root%zz/api',
  ]
  for (const p of bad) t.type(pathHygieneError(p), 'string', p)
  const good = [
    '/clusters/root/api/v1/namespaces',
    '/clusters/root%3Aorg/api/v1',
    '/clusters/root/api/v1/namespaces/default/configmaps/a%2Fb', // %2F outside the cluster segment is the client's business
    '/clusters/root/api/v1/namespaces/x/pods/.hidden',
    '/version',
    '/',
    '/clusters/root/api/v1/namespaces/x/configmaps/..x',
  ]
  for (const p of good) t.equal(pathHygieneError(p), undefined, p)
})

t.test('cleanPath: Go ServeMux\'s cleaning of literal //, /./ and /../ (upstream redirects to it)', async (t) => {
  const cases: [string, string][] = [
    ['/clusters/root/api', '/clusters/root/api'],
    ['/', '/'],
    ['', '/'],
    ['//clusters/root/api', '/clusters/root/api'],
    ['/clusters//root/api', '/clusters/root/api'],
    ['/clusters/root/api//v1', '/clusters/root/api/v1'],
    ['/clusters/./root', '/clusters/root'],
    ['/clusters/root/../other', '/clusters/other'],
    ['/../../etc', '/etc'],
    ['/clusters/root/api/', '/clusters/root/api/'],
    ['/clusters/root/api/.', '/clusters/root/api'],
    ['/clusters/root/api/..', '/clusters/root'],
    ['/clusters/root/api/v1/namespaces/x/pods/.hidden', '/clusters/root/api/v1/namespaces/x/pods/.hidden'],
    ['/clusters/root/%2e%2e/x', '/clusters/root/%2e%2e/x'],
    ['clusters/root', '/clusters/root'],
  ]
  for (const [p, want] of cases) t.equal(cleanPath(p), want, JSON.stringify(p))
  t.equal(cleanPath('/clusters/root/api'), '/clusters/root/api', 'a clean path comes back unchanged')
})

t.test('small helpers', async (t) => {
  t.same(splitURL('/a?b=c'), { path: '/a', query: '?b=c' })
  t.same(splitURL('/a'), { path: '/a', query: '' })
  t.same(splitOrigin('https://h:1/clusters/x/'), { origin: 'https://h:1', path: '/clusters/x' })
  t.same(splitOrigin('https://h:1'), { origin: 'https://h:1', path: '' })
  t.equal(verbOf('GET'), 'get')
  t.equal(verbOf('PROPFIND'), 'propfind')
  t.equal(decodeSegment('root%3Aorg'), 'root:org')
  t.equal(decodeSegment('bad%zz'), 'bad%zz')
})
