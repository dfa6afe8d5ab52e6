import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildMappings, loadMappingFile, MappingFileError, parseMappingYaml, patternSegments, type MappingError } from '../../src/proxy/mapping.js'
import { pki, tmpDir, writeMapping } from './fixtures/env.js'

async function errorsOf(text: string, file: string): Promise<MappingError[]> {
  try {
    await buildMappings(text, file)
  } catch (e) {
    if (e instanceof MappingFileError) return e.errors
    throw e
  }
  return []
}

const TLS = '  backend_server_ca: ca.crt\n  proxy_client_cert: proxy-client.crt\n  proxy_client_key: proxy-client.key\n'

t.test('a valid file loads every upstream field, defaults the header names and resolves files next to it', async (t) => {
  const dir = tmpDir(t)
  await writeMapping(dir, [])
  const file = join(dir, 'm.yaml')
  writeFileSync(
    file,
    `- path: /clusters/\n  backend: https://shard:6443\n${TLS}` +
      `- path: /services/\n  backend: https://vw:6443/base\n${TLS}  user_header: X-Custom-User\n  group_header: X-Custom-Group\n  extra_header_prefix: X-Custom-Extra-\n  unknown_key: ignored\n` +
      `- path: /e2e/clusters/{cluster}\n  backend: https://localhost:2443\n${TLS}` +
      `- path: /\n  backend: https://root:6443\n${TLS}`,
  )
  const ms = await loadMappingFile(file)
  t.equal(ms.length, 4)
  t.same(ms.map((m) => m.kind), ['shard', 'prefix', 'prefix', 'default'])
  t.same(ms[0].headers, { user: 'X-Remote-User', group: 'X-Remote-Group', extraPrefix: 'X-Remote-Extra-' })
  t.same(ms[1].headers, { user: 'X-Custom-User', group: 'X-Custom-Group', extraPrefix: 'X-Custom-Extra-' })
  t.equal(ms[1].basePath, '/base')
  t.equal(ms[1].prefix, '/services')
  t.equal(ms[2].clusterSegment, 2)
  t.equal(ms[2].literal, false)
  t.equal(ms[0].fingerprint, ms[1].fingerprint, 'same TLS material shares pools')
  t.match(ms[0].tls.ca, /BEGIN CERTIFICATE/)
})

t.test('every error is reported at once with file, entry, line and field', async (t) => {
  const dir = tmpDir(t)
  await writeMapping(dir, [])
  const file = join(dir, 'bad.yaml')
  const text = [
    '- path: clusters/', //                     0: path without slash
    '  backend: http://shard', //                0: not https
    '  backend_server_ca: missing-ca.crt', //   0: unreadable
    '  proxy_client_cert: proxy-client.crt',
    '  proxy_client_key: proxy-client.key',
    '- backend: "::not a url"', //               1: path missing, bad URL, cert/key missing
    '  backend_server_ca: ca.crt',
    '  user_header: "bad header"', //            1: invalid header name
    '- path: /x/{clu ster}/', //                 2: malformed placeholder
    '  backend: https://a', //
    '  backend_server_ca: proxy-client.key', //  2: CA file without a certificate
    '  proxy_client_cert: proxy-client.key', //  2: not a certificate
    '  proxy_client_key: ca.crt', //             2: not a key
    '- path: /clusters', //                      3: duplicates entry 0 after trimming? (0 is invalid: "clusters/")
    '  backend: https://a',
    '  backend_server_ca: ca.crt',
    '  proxy_client_cert: proxy-client.crt',
    '  proxy_client_key: proxy-client.key',
    '- path: /clusters/', //                     4: duplicates entry 3
    '  backend: https://a',
    '  backend_server_ca: ca.crt',
    '  proxy_client_cert: proxy-client.crt',
    '  proxy_client_key: proxy-client.key',
    '- path: 7', //                              5: not a string
    '- "just a string"', //                      6: not a mapping
  ].join('\n')
  const errs = await errorsOf(text, file)
  const got = errs.map((e) => `${e.entry}:${e.line}:${e.field}`)
  t.same(got.sort(), [
    '0:1:path',
    '0:2:backend',
    '0:3:backend_server_ca',
    '1:6:backend',
    '1:6:path',
    '1:6:proxy_client_cert',
    '1:6:proxy_client_key',
    '1:8:user_header',
    '2:11:backend_server_ca',
    '2:12:proxy_client_cert',
    '2:13:proxy_client_key',
    '2:9:path',
    '4:19:path',
    '5:24:backend',
    '5:24:backend_server_ca',
    '5:24:path', // must be a string
    '5:24:path', // is required
    '5:24:proxy_client_cert',
    '5:24:proxy_client_key',
    '6:25:',
  ].sort())
  for (const e of errs) t.equal(e.file, file)
  t.match(errs.find((e) => e.field === 'backend_server_ca' && e.entry === 0)!.message, /cannot read .*missing-ca\.crt: ENOENT/)
  t.match(errs.find((e) => e.entry === 4)!.message, /duplicates the path of entry 3/)
})

t.test('fair_queuing_queue_length: a positive integer per entry; anything else is reported with file, entry, line and field', async (t) => {
  const dir = tmpDir(t)
  await writeMapping(dir, [])
  const file = join(dir, 'm.yaml')
  const ms = await buildMappings(`- path: /clusters/\n  backend: https://shard:6443\n${TLS}  fair_queuing_queue_length: 7\n- path: /\n  backend: https://root:6443\n${TLS}`, file)
  t.same(ms.map((m) => m.flowQueueLength), [7, undefined], 'absent: the flag decides')
  const cases: [string, string][] = [['0', '0'], ['"7"', '"7"'], ['1.5', '1.5'], ['-2', '-2']]
  for (const [value, shown] of cases) {
    const errs = await errorsOf(`- path: /\n  backend: https://root:6443\n${TLS}  fair_queuing_queue_length: ${value}\n`, file)
    t.same(errs, [{ file, entry: 0, line: 6, field: 'fair_queuing_queue_length', message: `must be an integer of at least 1, got ${shown}` }], value)
  }
})

t.test('file-level problems: unreadable, empty, not a list, broken YAML', async (t) => {
  const dir = tmpDir(t)
  await t.rejects(loadMappingFile(join(dir, 'nope.yaml')), { errors: [{ entry: -1, message: /cannot read: ENOENT/ }] })
  t.match(await errorsOf('', 'f'), [{ entry: -1, message: /empty/ }])
  t.match(await errorsOf('path: /', 'f'), [{ entry: -1, message: /expected a YAML list/ }])
  t.match(await errorsOf('- path: [\n', 'f'), [{ entry: -1, message: /^YAML:/ }])
})

t.test('the error message names file, line, entry and field', async (t) => {
  await pki()
  const e = await buildMappings('- path: /x\n', '/etc/kcp/mapping.yaml').catch((e: unknown) => e)
  t.type(e, MappingFileError)
  t.match((e as Error).message, /\/etc\/kcp\/mapping\.yaml:1: entry 0 field "backend": is required/)
})

t.test('patternSegments trims trailing slashes and splits', async (t) => {
  const cases: [string, string[]][] = [
    ['/', []],
    ['/clusters/', ['clusters']],
    ['/e2e/clusters/{cluster}/', ['e2e', 'clusters', '{cluster}']],
    ['/services', ['services']],
  ]
  for (const [p, want] of cases) t.same(patternSegments(p), want, p)
})

t.test('parseMappingYaml ignores unknown keys and keeps the line of each field', async (t) => {
  const r = parseMappingYaml('- path: /a\n  other: 1\n  backend: https://b\n', 'f')
  t.same(r.errors, [])
  t.same(r.entries[0].values, { path: '/a', backend: 'https://b' })
  t.same(r.entries[0].lines, { path: 1, backend: 3 })
})
