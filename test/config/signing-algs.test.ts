import t from 'tap'
import pino from 'pino'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isJWTSigningAlg, jwtSigningAlgs } from '../../src/config/signing-algs.js'
import { completeOptions } from '../../src/config/complete.js'
import { validateOptions } from '../../src/config/validate.js'
import { parseArgs } from '../../src/config/parse.js'
import { OIDCAuthenticator } from '../../src/auth/oidc.js'

const dir = mkdtempSync(join(tmpdir(), 'fp-algs-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
for (const f of ['mapping.yaml', 'root.kubeconfig', 'shards.kubeconfig']) writeFileSync(join(dir, f), 'x')
const required = ['mapping.yaml', 'root.kubeconfig', 'shards.kubeconfig'].map((f) => `--${f.replace('.yaml', '-file').replace('.kubeconfig', '-kubeconfig')}=${join(dir, f)}`)

function flagErrors(alg: string): string[] {
  const r = parseArgs([...required, '--oidc-issuer-url=https://idp.example', '--oidc-client-id=kcp', `--oidc-signing-algs=${alg}`])
  return validateOptions(completeOptions(r.input, 'cli', { cwd: dir }))
}

function issuersFileErrors(alg: string): string[] {
  const file = join(dir, `issuers-${alg}.yaml`)
  writeFileSync(file, `- issuerURL: https://idp.example\n  clientID: kcp\n  signingAlgs: [${JSON.stringify(alg)}]\n`)
  const r = parseArgs([...required, `--oidc-issuers-file=${file}`])
  return validateOptions(completeOptions(r.input, 'cli', { cwd: dir }))
}

t.test('the list is Kubernetes AllValidSigningAlgorithms, sorted as upstream returns it', async (t) => {
  t.same(jwtSigningAlgs, ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'])
})

t.test('one decision per algorithm: the flag, the issuers file and the OIDC verifier agree', async (t) => {
  const cases: [string, boolean][] = [
    ['RS256', true], ['RS384', true], ['RS512', true],
    ['ES256', true], ['ES384', true], ['ES512', true],
    ['PS256', true], ['PS384', true], ['PS512', true],
    // Upstream refuses EdDSA for --oidc-signing-algs and structured authenticators alike.
    ['EdDSA', false],
    ['HS256', false], ['HS512', false], ['none', false], ['rs256', false], ['', false],
  ]
  const logger = pino({ level: 'silent' })
  for (const [alg, accepted] of cases) {
    t.equal(isJWTSigningAlg(alg), accepted, `${alg}: isJWTSigningAlg`)
    if (alg !== '') {
      const flag = flagErrors(alg)
      t.equal(flag.length === 0, accepted, `${alg}: --oidc-signing-algs ${JSON.stringify(flag)}`)
      if (!accepted) t.match(flag, [new RegExp(`^--oidc-issuer-url: signing algorithm "${alg}" is not allowed \\(allowed: ${jwtSigningAlgs.join(', ')}\\)$`)])
    }
    const file = issuersFileErrors(alg)
    t.equal(file.length === 0, accepted, `${alg}: --oidc-issuers-file ${JSON.stringify(file)}`)
    const build = (): OIDCAuthenticator => new OIDCAuthenticator([{
      issuerURL: 'https://idp.example', clientID: 'kcp', caFile: '', usernameClaim: 'sub', usernamePrefix: '', groupsClaim: '', groupsPrefix: '', signingAlgs: [alg], requiredClaims: {},
    }], logger)
    if (accepted) await build().close()
    else t.throws(build, /not supported/, `${alg}: the verifier refuses it`)
  }
})
