// One front-proxy from completed options: logger and registry (one each, passed down), index,
// authentication, index controller, then startFrontProxy (mapping store, server). What
// createFrontProxy() and runFrontProxy() share.
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import type { CompletedOptions } from '../config/types.js'
import { createAuthentication } from '../auth/index.js'
import { createWorkspaceAuthentication } from '../auth/workspace/index.js'
import { createIndexController } from '../controller/index.js'
import { loadControllerKubeconfigs } from '../controller/kubeconfigs.js'
import { AuthConfigIndex, WorkspaceIndex, type RoutingIndexReader } from '../index/index.js'
import type { IndexController } from '../controller/types.js'
import type { ConnectionLimits } from './connection-limits.js'
import { startFrontProxy, type FrontProxy } from './front-proxy.js'

/** A controller made elsewhere and the indexes it feeds (a --workers worker: a copy of the primary's, src/workers). */
export interface GivenIndexes {
  registry: Registry
  index: RoutingIndexReader
  authIndex: AuthConfigIndex | undefined
  controller: IndexController
}

export interface BuildExtras {
  connectionLimits?: Partial<ConnectionLimits> | undefined
  /** A controller and indexes made elsewhere, instead of a new controller. */
  given?: GivenIndexes | undefined
  /** Gives up the start (createFrontProxy's `signal`). */
  signal?: AbortSignal | undefined
}

/** The parts from options, then the server. */
export async function buildFrontProxy(options: CompletedOptions, logger: Logger, extras: BuildExtras = {}): Promise<FrontProxy> {
  const { connectionLimits, given, signal } = extras
  signal?.throwIfAborted()
  const registry = given?.registry ?? new Registry()
  const configs = await loadControllerKubeconfigs(options)
  const { rootConfig } = configs
  const authentication = await createAuthentication(options.authentication, { rootConfig, logger, registry })
  // WorkspaceAuthentication gate: the controller also watches WorkspaceTypes and WACs into authIndex.
  const authIndex = given !== undefined ? given.authIndex : options.extra.featureGates.WorkspaceAuthentication === true ? new AuthConfigIndex() : undefined
  const workspaceAuthentication = authIndex !== undefined ? createWorkspaceAuthentication(options.authentication, { index: authIndex, logger, registry }) : undefined
  try {
    // A worker's index is a copy the primary feeds (given); otherwise this process's controller writes it.
    let index: RoutingIndexReader
    let controller: IndexController
    if (given !== undefined) ({ index, controller } = given)
    else {
      const writer = new WorkspaceIndex()
      index = writer
      controller = createIndexController({
        ...configs,
        index: writer,
        ...(authIndex !== undefined ? { authIndex } : {}),
        registry,
        logger,
        shardSyncTimeoutMs: options.extra.shardSyncTimeoutSeconds * 1000,
      })
    }
    return await startFrontProxy({
      options,
      logger,
      registry,
      index,
      controller,
      authentication,
      ...(workspaceAuthentication !== undefined ? { workspaceAuthentication } : {}),
      ...(connectionLimits !== undefined ? { connectionLimits } : {}),
      ...(signal !== undefined ? { signal } : {}),
    })
  } catch (e) {
    await authentication.close()
    await workspaceAuthentication?.close()
    throw e
  }
}

