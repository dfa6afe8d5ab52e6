// kubeconfig YAML and the on-disk bundle (certificates, kubeconfigs, mapping file, token file) that a
// front-proxy or kubectl needs to talk to the emulated topology.
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'
import type { KeyPair, StaticToken, TopologyFiles } from './types.js'

const b64 = (s: string): string => Buffer.from(s).toString('base64')

export type KubeconfigUser = { token: string } | KeyPair

export function kubeconfigYAML(o: { server: string; caCert: string; user: KubeconfigUser; userName: string; contextName?: string }): string {
  const user: Record<string, string> = 'token' in o.user
    ? { token: o.user.token }
    : { 'client-certificate-data': b64(o.user.cert), 'client-key-data': b64(o.user.key) }
  const name = o.contextName ?? 'emulator'
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: o.server, 'certificate-authority-data': b64(o.caCert) } }],
    users: [{ name: o.userName, user }],
    contexts: [{ name, context: { cluster: name, user: o.userName } }],
    'current-context': name,
  })
}

export function tokenCSV(tokens: StaticToken[]): string {
  return tokens.map((t) => `${t.token},${t.user},${t.uid ?? t.user},"${(t.groups ?? []).join(',')}"`).join('\n') + '\n'
}

export interface BundleInput {
  servingCA: string
  clientCA: string
  requestHeaderCA: string
  proxyClient: KeyPair
  admin: KeyPair
  rootKubeconfig: string
  shardsKubeconfig: string
  adminKubeconfig: string
  rootBaseURL: string
  tokens: StaticToken[]
}

export async function writeBundle(dir: string, b: BundleInput): Promise<TopologyFiles> {
  const d = resolve(dir)
  await mkdir(d, { recursive: true })
  const p = (n: string): string => join(d, n)
  const files: TopologyFiles = {
    dir: d,
    caCert: p('ca.crt'),
    clientCACert: p('client-ca.crt'),
    requestHeaderCACert: p('requestheader-ca.crt'),
    proxyClientCert: p('proxy-client.crt'),
    proxyClientKey: p('proxy-client.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    rootKubeconfig: p('root.kubeconfig'),
    shardsKubeconfig: p('shards.kubeconfig'),
    adminKubeconfig: p('admin.kubeconfig'),
    mappingYaml: p('mapping.yaml'),
    tokenCsv: p('token.csv'),
  }
  const mapping = stringify(['/clusters/', '/services/'].map((path) => ({
    path,
    backend: b.rootBaseURL,
    backend_server_ca: files.caCert,
    proxy_client_cert: files.proxyClientCert,
    proxy_client_key: files.proxyClientKey,
  })))
  const secret = { mode: 0o600 }
  await Promise.all([
    writeFile(files.caCert, b.servingCA),
    writeFile(files.clientCACert, b.clientCA),
    writeFile(files.requestHeaderCACert, b.requestHeaderCA),
    writeFile(files.proxyClientCert, b.proxyClient.cert),
    writeFile(files.proxyClientKey, b.proxyClient.key, secret),
    writeFile(files.adminCert, b.admin.cert),
    writeFile(files.adminKey, b.admin.key, secret),
    writeFile(files.rootKubeconfig, b.rootKubeconfig, secret),
    writeFile(files.shardsKubeconfig, b.shardsKubeconfig, secret),
    writeFile(files.adminKubeconfig, b.adminKubeconfig, secret),
    writeFile(files.mappingYaml, mapping),
    writeFile(files.tokenCsv, tokenCSV(b.tokens), secret),
  ])
  return files
}
