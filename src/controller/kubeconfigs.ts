// The kubeconfigs the index controller reads, loaded once per process that runs it (a single
// process, or a --workers primary): the root shard's, the shards' credentials and the peers'.
import type { CompletedOptions } from '../config/types.js'
import { loadCredentials, loadKubeconfig, type KubeClientConfig, type KubeCredentials } from '../kube/kubeconfig.js'

export interface ControllerKubeconfigs {
  rootConfig: KubeClientConfig
  /** Credentials only: each Shard's spec.baseURL is the server, as upstream. */
  shardsConfig: KubeCredentials
  peerConfigs: KubeClientConfig[]
}

export async function loadControllerKubeconfigs(options: CompletedOptions): Promise<ControllerKubeconfigs> {
  const [rootConfig, shardsConfig, peerConfigs] = await Promise.all([
    loadKubeconfig(options.proxy.rootKubeconfig),
    loadCredentials(options.proxy.shardsKubeconfig),
    Promise.all(options.extra.shardPeerKubeconfigs.map((f) => loadKubeconfig(f))),
  ])
  return { rootConfig, shardsConfig, peerConfigs }
}
