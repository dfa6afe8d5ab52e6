// Child process: our front-proxy via createFrontProxy(), configured like production
// (mapping file, root + shards kubeconfig, index controller, metrics, logging).
//   front-proxy.ts --files <TopologyFiles JSON> --serving-cert c --serving-key k
//     --log-file f [--v 2] [--client-cert-auth true] [--backend-h2 true]
//     [--authentication <JSON: partial authentication options, merged over --client-cert-auth's>]
//     [--extra <JSON: partial extra options, e.g. {"featureGates":{"WorkspaceAuthentication":true}}>]
// Commands: `authCounts` → { "<method>/<result>": count } from kcp_front_proxy_authentication_total,
// so a benchmark can prove authentication really ran in this process.
import { createFrontProxy, logDestination } from '../../../src/server/index.js'
import type { FrontProxyInput } from '../../../src/config/types.js'
import { serveChild, childArg } from '../child-side.js'
import type { TopologyFiles } from '../../../src/emulator/types.js'

serveChild<{ url: string }>(async () => {
  const files = JSON.parse(childArg('files')) as TopologyFiles
  const clientCertAuth = childArg('client-cert-auth', 'false') === 'true'
  const extraAuth = JSON.parse(childArg('authentication', '{}')) as NonNullable<FrontProxyInput['authentication']>
  // The destination production uses for stdout (batched sonic-boom), pointed at a file.
  const logStream = logDestination(childArg('log-file'))
  const proxy = await createFrontProxy({
    proxy: { mappingFile: files.mappingYaml, rootKubeconfig: files.rootKubeconfig, shardsKubeconfig: files.shardsKubeconfig },
    secureServing: { bindAddress: '127.0.0.1', securePort: 0, tlsCertFile: childArg('serving-cert'), tlsPrivateKeyFile: childArg('serving-key') },
    authentication: {
      ...(clientCertAuth ? { clientCAFile: files.clientCACert, tokenAuthFile: files.tokenCsv } : {}),
      ...extraAuth,
    },
    logging: { v: Number(childArg('v', '2')) },
    // --backend-h2 true: everything over HTTP/2 (older checkouts read this flag too); otherwise the default or --extra's backendProtocol.
    extra: { ...(childArg('backend-h2', 'false') === 'true' ? { backendHttp2: true } : {}), ...(JSON.parse(childArg('extra', '{}')) as NonNullable<FrontProxyInput['extra']>) },
    logStream,
  })
  return {
    info: { url: proxy.url },
    handlers: {
      authCounts: async () => {
        const m = await proxy.registry.getSingleMetric('kcp_front_proxy_authentication_total')?.get()
        return Object.fromEntries((m?.values ?? []).map((v) => [`${String(v.labels.method)}/${String(v.labels.result)}`, v.value]))
      },
    },
    close: async () => { await proxy.close(); logStream.end() },
  }
})
