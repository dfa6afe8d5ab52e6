// `--shards-kubeconfig` as kcp's tooling writes it, with `server: ""`: accepted as upstream accepts it
// (only the credentials and the CA are used, each Shard's spec.baseURL is the server), and the proxy
// routes into a workspace on a non-root shard with it. The root kubeconfig still needs a server.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify, parse } from 'yaml'
import { KubeconfigError } from '../../src/kube/kubeconfig.js'
import { createFrontProxy } from '../../src/server/index.js'
import { h1 } from '../proxy/fixtures/client.js'
import { proxyTopology } from './fixtures/topology.js'

const { topo, dir, files, tlsCertFile, tlsPrivateKeyFile, ca, admin } = await proxyTopology(t)

/** The shard-admin kubeconfig with the cluster's server replaced (undefined: the key is left out). */
function shardsKubeconfig(name: string, server: string | undefined): string {
  const doc = parse(topo.kubeconfig({ user: 'shard-admin', server: 'https://unused' })) as { clusters: { cluster: Record<string, unknown> }[] }
  if (server === undefined) delete doc.clusters[0].cluster.server
  else doc.clusters[0].cluster.server = server
  const file = join(dir, name)
  writeFileSync(file, stringify(doc), { mode: 0o600 })
  return file
}

function start(shards: string, root = files.rootKubeconfig): ReturnType<typeof createFrontProxy> {
  return createFrontProxy({
    proxy: { mappingFile: files.mappingYaml, rootKubeconfig: root, shardsKubeconfig: shards },
    secureServing: { tlsCertFile, tlsPrivateKeyFile },
    authentication: { clientCAFile: files.clientCACert },
  })
}

for (const [what, server] of [['server: ""', ''], ['no server key', undefined], ['a server that is not a URL', 'not a url']] as const) {
  t.test(`a shards kubeconfig with ${what} starts the proxy, which routes to every shard`, async (t) => {
    const proxy = await start(shardsKubeconfig(`shards-${what.length}.kubeconfig`, server))
    t.teardown(() => proxy.close())
    const r = await h1(`${proxy.url}/clusters/root:org/api/v1/namespaces/default`, ca, admin)
    t.equal(r.status, 200, r.body)
    t.match(JSON.parse(r.body), { kind: 'Namespace', metadata: { name: 'default' } })
  })
}

t.test('the root kubeconfig still needs a server', async (t) => {
  const root = join(dir, 'root-no-server.kubeconfig')
  const doc = parse(topo.kubeconfig()) as { clusters: { cluster: Record<string, unknown> }[] }
  doc.clusters[0].cluster.server = ''
  writeFileSync(root, stringify(doc), { mode: 0o600 })
  const e = await start(files.shardsKubeconfig, root).catch((err: unknown) => err)
  t.type(e, KubeconfigError)
  t.match((e as Error).message, /root-no-server\.kubeconfig:\d+: clusters\[0\]\.cluster\.server: is required/)
})
