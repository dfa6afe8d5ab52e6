import t from 'tap'
import { ProxyError, catalogue, statusBody, workspaceForbidden, type ErrorCode } from '../src/errors.js'

t.test('every catalogue entry maps to a Status with its HTTP code and reason', async (t) => {
  for (const code of Object.keys(catalogue) as ErrorCode[]) {
    const e = new ProxyError(code)
    const s = e.toStatus()
    t.equal(s.code, catalogue[code].status, code)
    t.equal(s.reason, catalogue[code].reason, code)
    t.equal(s.kind, 'Status')
    t.equal(s.status, 'Failure')
  }
})

t.test('the workspace 403 is byte-identical to upstream', async (t) => {
  const body = JSON.stringify(workspaceForbidden('get', '/clusters/root:nope/api/v1/namespaces').toStatus())
  t.equal(
    body,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"\\" cannot get path \\"/clusters/root:nope/api/v1/namespaces\\": workspace access not permitted","reason":"Forbidden","details":{},"code":403}',
  )
})

t.test('401 has no details, like the apiserver', async (t) => {
  t.equal(
    JSON.stringify(new ProxyError('FP_UNAUTHORIZED').toStatus()),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}',
  )
  t.same(statusBody(404, 'NotFound', 'x', { name: 'n' }).details, { name: 'n' })
})
