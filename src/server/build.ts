// One front-proxy from completed options: logger and registry (one each, passed down), index,
// authentication, index controller, then startFrontProxy (mapping store, server). What
// createFrontProxy() and runFrontProxy() share.
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import type { CompletedOptions } from '../config/types.js'
import { createAuthentication } from '../auth/index.js'
import { createWorkspaceAuthentication } from '../auth/workspace/index.js'
import { createIndexController } from '../controller/index.js'
import { AuthConfigIndex, WorkspaceIndex } from '../index/index.js'
import { loadCredentials, loadKubeconfig } from '../kube/kubeconfig.js'
import type { ConnectionLimits } from './connection-limits.js'
import { startFrontProxy, type FrontProxy } from './front-proxy.js'

export async function buildFrontProxy(options: CompletedOptions, logger: Logger, connectionLimits?: Partial<ConnectionLimits>): Promise<FrontProxy> {
  const registry = new Registry()
  const index = new WorkspaceIndex()
  // The shards kubeconfig gives credentials only (each Shard's spec.baseURL is the server), as upstream.
  const [rootConfig, shardsConfig, ...peerConfigs] = await Promise.all([
    loadKubeconfig(options.proxy.rootKubeconfig),
    loadCredentials(options.proxy.shardsKubeconfig),
    ...options.extra.shardPeerKubeconfigs.map((f) => loadKubeconfig(f)),
  ])
  const authentication = await createAuthentication(options.authentication, { rootConfig, logger, registry })
  // WorkspaceAuthentication gate: the controller also watches WorkspaceTypes and WACs into authIndex.
  const authIndex = options.extra.featureGates.WorkspaceAuthentication === true ? new AuthConfigIndex() : undefined
  const workspaceAuthentication = authIndex !== undefined ? createWorkspaceAuthentication(options.authentication, { index: authIndex, logger, registry }) : undefined
  try {
    const controller = createIndexController({
      rootConfig,
      peerConfigs,
      shardsConfig,
      index,
      ...(authIndex !== undefined ? { authIndex } : {}),
      registry,
      logger,
      shardSyncTimeoutMs: options.extra.shardSyncTimeoutSeconds * 1000,
    })
    return await startFrontProxy({
      options,
      logger,
      registry,
      index,
      controller,
      authentication,
      ...(workspaceAuthentication !== undefined ? { workspaceAuthentication } : {}),
      ...(connectionLimits !== undefined ? { connectionLimits } : {}),
    })
  } catch (e) {
    await authentication.close()
    await workspaceAuthentication?.close()
    throw e
  }
}

