import t from 'tap'
import {
  parseBool, parseCSV, parseDurationSeconds, parseFloat, parseHostPort, parseInt, parseKeyValue, parseMapStringBool, parseNamedCertKey,
} from '../../src/config/values.js'

t.test('parseBool accepts exactly Go strconv.ParseBool spellings', async (t) => {
  for (const s of ['1', 't', 'T', 'true', 'TRUE', 'True']) t.same(parseBool(s), { ok: true, value: true }, s)
  for (const s of ['0', 'f', 'F', 'false', 'FALSE', 'False']) t.same(parseBool(s), { ok: true, value: false }, s)
  for (const s of ['yes', 'on', 'tRUE', '', '2']) t.equal(parseBool(s).ok, false, s)
})

t.test('parseInt takes decimal and hex integers and nothing else', async (t) => {
  const cases: [string, number | null][] = [['443', 443], ['-1', -1], ['+7', 7], ['0x1F', 31], ['0', 0], ['4.5', null], ['abc', null], ['', null], ['1e3', null], ['99999999999999999999', null]]
  for (const [s, want] of cases) {
    const r = parseInt(s)
    if (want === null) t.equal(r.ok, false, s)
    else t.same(r, { ok: true, value: want }, s)
  }
})

t.test('parseFloat takes decimal floats', async (t) => {
  t.same(parseFloat('0.02'), { ok: true, value: 0.02 })
  t.same(parseFloat('.5'), { ok: true, value: 0.5 })
  t.same(parseFloat('1e-3'), { ok: true, value: 0.001 })
  t.equal(parseFloat('x').ok, false)
  t.equal(parseFloat('').ok, false)
})

t.test('parseDurationSeconds follows Go time.ParseDuration', async (t) => {
  const cases: [string, number | string][] = [
    ['30s', 30], ['1m30s', 90], ['2m0s', 120], ['500ms', 0.5], ['1.5h', 5400], ['0', 0], ['-2s', -2], ['100us', 0.0001], ['1h2m3s4ms', 3723.004],
    ['30', 'missing unit'], ['', 'invalid duration'], ['1d', 'invalid duration'], ['s', 'invalid duration'], ['1m 2s', 'invalid duration'],
  ]
  for (const [s, want] of cases) {
    const r = parseDurationSeconds(s)
    if (typeof want === 'number') {
      t.ok(r.ok, s)
      if (r.ok) t.ok(Math.abs(r.value - want) < 1e-9, `${s} → ${r.value}`)
    } else t.match(r, { ok: false, reason: new RegExp(want) }, s)
  }
})

t.test('parseCSV splits like pflag string slices (encoding/csv)', async (t) => {
  const cases: [string, string[] | null][] = [
    ['', []], ['a', ['a']], ['a,b', ['a', 'b']], ['a,,b', ['a', '', 'b']], ['a,', ['a', '']],
    ['"a,b",c', ['a,b', 'c']], ['"say ""hi""",x', ['say "hi"', 'x']], ['system:kcp:initializer:*', ['system:kcp:initializer:*']],
    ['"open', null], ['a"b', null], ['"a"b', null],
  ]
  for (const [s, want] of cases) {
    const r = parseCSV(s)
    if (want === null) t.equal(r.ok, false, s)
    else t.same(r, { ok: true, value: want }, s)
  }
})

t.test('parseKeyValue keeps commas and later = signs in the value', async (t) => {
  t.same(parseKeyValue('hd=example.com,x'), { ok: true, value: ['hd', 'example.com,x'] })
  t.same(parseKeyValue('a=b=c'), { ok: true, value: ['a', 'b=c'] })
  t.same(parseKeyValue('a='), { ok: true, value: ['a', ''] })
  t.equal(parseKeyValue('novalue').ok, false)
  t.equal(parseKeyValue('=x').ok, false)
})

t.test('parseMapStringBool parses feature gate lists', async (t) => {
  t.same(parseMapStringBool('A=true,B=false'), { ok: true, value: { A: true, B: false } })
  t.same(parseMapStringBool(' A=true , '), { ok: true, value: { A: true } })
  t.match(parseMapStringBool('A'), { ok: false, reason: /missing bool value for A/ })
  t.match(parseMapStringBool('A=maybe'), { ok: false, reason: /invalid value of A=maybe/ })
})

t.test('parseNamedCertKey reads cert,key[:domains]', async (t) => {
  t.same(parseNamedCertKey('a.crt,a.key'), { ok: true, value: { certFile: 'a.crt', keyFile: 'a.key', domains: [] } })
  t.same(parseNamedCertKey('a.crt,a.key:x.io,*.y.io'), { ok: true, value: { certFile: 'a.crt', keyFile: 'a.key', domains: ['x.io', '*.y.io'] } })
  t.equal(parseNamedCertKey('a.crt').ok, false)
  t.equal(parseNamedCertKey('a,b,c').ok, false)
  t.equal(parseNamedCertKey(',b').ok, false)
})

t.test('parseHostPort splits a listen address once: IP, localhost or empty host (all interfaces), port 0..65535', async (t) => {
  const cases: [string, { host: string; port: number } | null][] = [
    [':9090', { host: '0.0.0.0', port: 9090 }],
    ['127.0.0.1:9090', { host: '127.0.0.1', port: 9090 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
    ['[::]:0', { host: '::', port: 0 }],
    ['localhost:8080', { host: 'localhost', port: 8080 }],
    [':65535', { host: '0.0.0.0', port: 65535 }],
    [':65536', null], [':99999', null], ['metrics', null], ['metrics:9090', null], ['::1:9090', null], ['127.0.0.1', null], ['127.0.0.1:', null], ['', null],
  ]
  for (const [s, want] of cases) {
    const r = parseHostPort(s)
    if (want === null) t.match(r, { ok: false, reason: /must be host:port/ }, s)
    else t.same(r, { ok: true, value: want }, s)
  }
})
