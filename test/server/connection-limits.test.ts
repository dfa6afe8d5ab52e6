import t from 'tap'
import { clientErrorStatus, MAX_HEADER_BYTES } from '../../src/server/connection-limits.js'

t.test('what the HTTP/1.1 parser refuses maps to a Status with the code a client can act on', async (t) => {
  const raw = (s: string): Buffer => Buffer.from(s, 'latin1')
  const cases: [string, { code?: string; rawPacket?: Buffer }, number, string][] = [
    ['headers not received in time', { code: 'ERR_HTTP_REQUEST_TIMEOUT' }, 408, 'Timeout'],
    ['headers over the limit', { code: 'HPE_HEADER_OVERFLOW' }, 431, 'RequestHeaderFieldsTooLarge'],
    ['an unknown method token (upstream: the shard answers 405)', { code: 'HPE_INVALID_METHOD', rawPacket: raw('FOO /x HTTP/1.1\r\n') }, 405, 'MethodNotAllowed'],
    ['a WebDAV-style token Node does not know', { code: 'HPE_INVALID_METHOD', rawPacket: raw('X-CUSTOM.1 /x HTTP/1.1\r\n') }, 405, 'MethodNotAllowed'],
    ['bytes that are not a method', { code: 'HPE_INVALID_METHOD', rawPacket: raw('\x16\x03\x01\x02') }, 400, 'BadRequest'],
    ['an invalid method without the packet', { code: 'HPE_INVALID_METHOD' }, 400, 'BadRequest'],
    ['a broken header', { code: 'HPE_INVALID_HEADER_TOKEN' }, 400, 'BadRequest'],
    ['no code at all', {}, 400, 'BadRequest'],
  ]
  for (const [name, err, status, reason] of cases) {
    const e = clientErrorStatus(err)
    t.equal(e.status, status, `${name}: ${status}`)
    t.equal(e.reason, reason, `${name}: ${reason}`)
  }
  t.match(clientErrorStatus({ code: 'HPE_HEADER_OVERFLOW' }).message, String(MAX_HEADER_BYTES))
})
