import t from 'tap'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCA, issueLoopbackServerCert } from '../../src/pki/index.js'
import { KubeconfigError, loadCredentials, loadKubeconfig, parseCredentials, parseKubeconfig, withServer } from '../../src/kube/kubeconfig.js'

const b64 = (s: string) => Buffer.from(s).toString('base64')

function kc(opts: { server?: string; cluster?: string; user?: string; current?: string; extraContexts?: string } = {}): string {
  return `apiVersion: v1
kind: Config
current-context: ${opts.current ?? 'main'}
clusters:
- name: c
  cluster:
${opts.cluster ?? `    server: ${opts.server ?? 'https://127.0.0.1:6443/clusters/root'}`}
users:
- name: u
  user:
${opts.user ?? '    token: abc'}
contexts:
- name: main
  context:
    cluster: c
    user: u
${opts.extraContexts ?? ''}`
}

t.test('kubeconfig', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const ca = await createCA('test-ca')
  const pair = await issueLoopbackServerCert(ca)
  await writeFile(join(dir, 'ca.crt'), ca.cert)
  await writeFile(join(dir, 'client.crt'), pair.cert)
  await writeFile(join(dir, 'client.key'), pair.key)
  await writeFile(join(dir, 'token'), 'file-token\n')
  const file = join(dir, 'admin.kubeconfig')

  t.test('valid configurations', async (t) => {
    const cases: { name: string; text: string; opts?: { context?: string }; check: (c: ReturnType<typeof parseKubeconfig>) => void }[] = [
      {
        name: 'keeps the server path and the inline token',
        text: kc(),
        check: (c) => {
          t.equal(c.server.href, 'https://127.0.0.1:6443/clusters/root')
          t.equal(c.token, 'abc')
          t.equal(c.insecureSkipTLSVerify, false)
          t.equal(c.file, file)
        },
      },
      {
        name: 'server without a path',
        text: kc({ server: 'https://localhost:6443' }),
        check: (c) => t.equal(c.server.pathname, '/'),
      },
      {
        name: 'CA and client cert/key as files relative to the kubeconfig directory',
        text: kc({ cluster: '    server: https://x:1\n    certificate-authority: ca.crt', user: '    client-certificate: client.crt\n    client-key: ./client.key' }),
        check: (c) => {
          t.equal(c.ca, ca.cert)
          t.equal(c.cert, pair.cert)
          t.equal(c.key, pair.key)
          t.equal(c.token, undefined)
        },
      },
      {
        name: 'CA and client cert/key as base64 data',
        text: kc({
          cluster: `    server: https://x:1\n    certificate-authority-data: ${b64(ca.cert)}`,
          user: `    client-certificate-data: ${b64(pair.cert)}\n    client-key-data: ${b64(pair.key)}`,
        }),
        check: (c) => {
          t.equal(c.ca, ca.cert)
          t.equal(c.cert, pair.cert)
          t.equal(c.key, pair.key)
        },
      },
      {
        name: 'insecure-skip-tls-verify and tokenFile (trimmed)',
        text: kc({ cluster: '    server: https://x:1\n    insecure-skip-tls-verify: true', user: `    tokenFile: ${join(dir, 'token')}` }),
        check: (c) => {
          t.equal(c.insecureSkipTLSVerify, true)
          t.equal(c.token, 'file-token')
        },
      },
      {
        name: 'an explicit context overrides current-context',
        text: kc({ current: 'missing', extraContexts: '- name: other\n  context:\n    cluster: c\n' }),
        opts: { context: 'other' },
        check: (c) => t.equal(c.token, undefined, 'context without a user has no credentials'),
      },
    ]
    for (const c of cases) {
      t.test(c.name, async () => c.check(parseKubeconfig(c.text, file, c.opts)))
    }
  })

  t.test('every error names file, line and field', async (t) => {
    const cases: { name: string; text: string; opts?: { context?: string }; want: RegExp[] }[] = [
      { name: 'bad YAML reports the line', text: 'clusters:\n- name: c\n  cluster: [\n', want: [/admin\.kubeconfig:\d+: invalid YAML/] },
      { name: 'not a mapping', text: '- a\n- b\n', want: [/must be a YAML mapping/] },
      { name: 'missing current-context', text: 'clusters: []\n', want: [/current-context: is required/] },
      { name: 'unknown current-context', text: kc({ current: 'nope' }), want: [/:3: current-context: context "nope" not found/] },
      { name: 'unknown explicit context', text: kc(), opts: { context: 'nope' }, want: [/contexts: context "nope" not found/] },
      { name: 'missing server', text: kc({ cluster: '    insecure-skip-tls-verify: true' }), want: [/:7: clusters\[0\]\.cluster\.server: is required/] },
      { name: 'invalid server URL', text: kc({ server: 'not a url' }), want: [/clusters\[0\]\.cluster\.server: not a valid URL/] },
      { name: 'unsupported scheme', text: kc({ server: 'ftp://x' }), want: [/clusters\[0\]\.cluster\.server: unsupported scheme/] },
      { name: 'non-boolean insecure', text: kc({ cluster: '    server: https://x\n    insecure-skip-tls-verify: yes please' }), want: [/insecure-skip-tls-verify: must be a boolean/] },
      {
        name: 'unreadable CA, cert and key files are all reported at once',
        text: kc({ cluster: '    server: https://x\n    certificate-authority: missing-ca.crt', user: '    client-certificate: nope.crt\n    client-key: nope.key' }),
        want: [/:8: clusters\[0\]\.cluster\.certificate-authority: cannot read CA file .*missing-ca\.crt: ENOENT/, /users\[0\]\.user\.client-certificate: cannot read/, /users\[0\]\.user\.client-key: cannot read/],
      },
      { name: 'base64 data that is not PEM', text: kc({ cluster: '    server: https://x\n    certificate-authority-data: "!!!"' }), want: [/certificate-authority-data: must be base64-encoded PEM/] },
      { name: 'file and data both given', text: kc({ cluster: `    server: https://x\n    certificate-authority: ca.crt\n    certificate-authority-data: ${b64(ca.cert)}` }), want: [/are mutually exclusive/] },
      { name: 'cert without key', text: kc({ user: '    client-certificate: client.crt' }), want: [/users\[0\]\.user: client certificate and client key must be given together/] },
      { name: 'exec plugins are refused, not silently ignored', text: kc({ user: '    exec:\n      command: foo' }), want: [/users\[0\]\.user\.exec: is not supported/] },
      { name: 'context names an unknown cluster and user', text: kc({ extraContexts: '- name: x\n  context:\n    cluster: zz\n    user: yy\n' }), opts: { context: 'x' }, want: [/contexts\[1\]\.context\.cluster: cluster "zz" not found/, /contexts\[1\]\.context\.user: user "yy" not found/] },
      { name: 'clusters not a list and nameless entries', text: 'current-context: a\nclusters: {}\nusers:\n- user: {}\ncontexts:\n- name: a\n  context: {cluster: c}\n', want: [/:2: clusters: must be a list/, /users\[0\]\.name: is required/] },
    ]
    for (const c of cases) {
      t.test(c.name, async (t) => {
        const err = t.throws(() => parseKubeconfig(c.text, file, c.opts)) as unknown
        t.ok(err instanceof KubeconfigError, 'is a KubeconfigError')
        const msg = (err as Error).message
        t.match(msg, file)
        for (const w of c.want) t.match(msg, w)
      })
    }
  })

  t.test('loadKubeconfig reads the file and reports an unreadable one', async (t) => {
    await writeFile(file, kc())
    const c = await loadKubeconfig(file)
    t.equal(c.token, 'abc')
    await t.rejects(loadKubeconfig(join(dir, 'missing.kubeconfig')), /missing\.kubeconfig: cannot read file: ENOENT/)
  })

  t.test('credentials only (--shards-kubeconfig): any server, or none, is accepted and ignored', async (t) => {
    for (const cluster of ['    server: ""', '    insecure-skip-tls-verify: true', '    server: not a url', '    server: ftp://x']) {
      const c = parseCredentials(kc({ cluster, user: '    client-certificate: client.crt\n    client-key: client.key' }), file)
      t.notOk('server' in c, cluster)
      t.equal(c.cert, pair.cert, cluster)
      t.same(withServer(c, 'https://shard.example:6443').server.href, 'https://shard.example:6443/')
    }
    const e = t.throws(() => parseCredentials(kc({ cluster: '    server: ""', user: '    client-certificate: client.crt' }), file)) as Error
    t.match(e.message, /client certificate and client key must be given together/, 'the credentials are still checked')
    t.throws(() => parseCredentials('clusters: []\n', file), /current-context: is required/, 'no usable context: refused (client-go would start without credentials)')
    t.throws(() => parseKubeconfig(kc({ cluster: '    server: ""' }), file), /clusters\[0\]\.cluster\.server: is required/, 'a full kubeconfig (the root one) still needs a server')
    await writeFile(file, kc({ cluster: '    server: ""' }))
    t.equal((await loadCredentials(file)).token, 'abc')
    await t.rejects(loadCredentials(join(dir, 'missing.kubeconfig')), /missing\.kubeconfig: cannot read file: ENOENT/)
  })

  t.test('withServer replaces only the server', async (t) => {
    const c = parseKubeconfig(kc(), file)
    const s = withServer(c, 'https://localhost:7000/')
    t.equal(s.server.href, 'https://localhost:7000/')
    t.equal(s.token, 'abc')
    t.equal(c.server.href, 'https://127.0.0.1:6443/clusters/root', 'original untouched')
  })
})
