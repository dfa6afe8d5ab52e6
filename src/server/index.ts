// Public entry: createFrontProxy() for embedding (tests, harnesses) and runFrontProxy() for
// the CLI. Both build the same parts from options: logger and registry (one each, passed
// down), index, authentication, index controller, mapping store, then the server.
import pino, { type DestinationStream, type Logger } from 'pino'
import { Registry } from 'prom-client'
import { completeOptions, validateOptions } from '../config/index.js'
import { parseDurationSeconds } from '../config/values.js'
import type { CompletedOptions, FrontProxyInput } from '../config/types.js'
import { createAuthentication } from '../auth/index.js'
import { createWorkspaceAuthentication } from '../auth/workspace/index.js'
import { createIndexController } from '../controller/index.js'
import { AuthConfigIndex, WorkspaceIndex, type RoutingIndex } from '../index/index.js'
import type { IndexController } from '../controller/types.js'
import { loadCredentials, loadKubeconfig } from '../kube/kubeconfig.js'
import { startFrontProxy, type FrontProxy } from './front-proxy.js'
import type { ConnectionLimits } from './connection-limits.js'
import { createLogger, logDestination } from './logging.js'

export type { FrontProxy, FrontProxyParts, ServerAuthentication } from './front-proxy.js'
export type { ConnectionLimits } from './connection-limits.js'
export { startFrontProxy } from './front-proxy.js'
export { createLogger, levelForVerbosity, logDestination } from './logging.js'

export type CreateFrontProxyInput = FrontProxyInput & {
  logger?: Logger
  logStream?: NodeJS.WritableStream | DestinationStream
  /** Client connection bounds (docs/server.md); upstream's values unless a harness shortens them. */
  connectionLimits?: Partial<ConnectionLimits>
}

export class InvalidOptionsError extends Error {
  readonly errors: string[]
  constructor(errors: string[]) {
    super(`invalid front-proxy options:\n  ${errors.join('\n  ')}`)
    this.name = 'InvalidOptionsError'
    this.errors = errors
  }
}

/** A controller made elsewhere and the indexes it feeds (a --workers worker: a copy of the primary's, src/workers). */
export interface GivenIndexes {
  registry: Registry
  index: RoutingIndex
  authIndex: AuthConfigIndex | undefined
  controller: IndexController
}

/** The parts from options, then the server; with `given`, its controller and indexes instead of a new controller. */
export async function buildFrontProxy(options: CompletedOptions, logger: Logger, connectionLimits?: Partial<ConnectionLimits>, given?: GivenIndexes): Promise<FrontProxy> {
  const registry = given?.registry ?? new Registry()
  const index = given?.index ?? new WorkspaceIndex()
  // The shards kubeconfig gives credentials only (each Shard's spec.baseURL is the server), as upstream.
  const [rootConfig, shardsConfig] = await Promise.all([
    loadKubeconfig(options.proxy.rootKubeconfig),
    loadCredentials(options.proxy.shardsKubeconfig),
  ])
  const authentication = await createAuthentication(options.authentication, { rootConfig, logger, registry })
  // WorkspaceAuthentication gate: the controller also watches WorkspaceTypes and WACs into authIndex.
  const authIndex = given !== undefined ? given.authIndex : options.extra.featureGates.WorkspaceAuthentication === true ? new AuthConfigIndex() : undefined
  const workspaceAuthentication = authIndex !== undefined ? createWorkspaceAuthentication(options.authentication, { index: authIndex, logger, registry }) : undefined
  try {
    const controller = given?.controller ?? createIndexController({
      rootConfig,
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

/**
 * Starts a front-proxy from a partial options object (embedded defaults: 127.0.0.1, a free
 * port). Resolves once the index controller is ready and the port is listening. Throws
 * InvalidOptionsError listing every option problem.
 */
export async function createFrontProxy(input: CreateFrontProxyInput): Promise<FrontProxy> {
  const { logger: given, logStream, connectionLimits, ...rest } = input
  const options = completeOptions(rest, 'embedded')
  const errors = validateOptions(options)
  if (errors.length > 0) throw new InvalidOptionsError(errors)
  const logger = given ?? (logStream !== undefined ? createLogger({ v: options.logging.v, stream: logStream }) : pino({ level: 'silent' }))
  return buildFrontProxy(options, logger, connectionLimits)
}

/**
 * For the CLI: logs to stdout at the -v level, handles SIGTERM/SIGINT gracefully (delay,
 * drain), and exits at once on a second signal.
 */
export async function runFrontProxy(options: CompletedOptions): Promise<FrontProxy> {
  const flushSeconds = parseDurationSeconds(options.logging.logFlushFrequency)
  const logger = createLogger({ v: options.logging.v, stream: logDestination(1, flushSeconds.ok && flushSeconds.value > 0 ? { flushMs: flushSeconds.value * 1000 } : {}) })
  const proxy = await buildFrontProxy(options, logger)
  let signals = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++
    if (signals > 1) {
      logger.warn({ signal: sig }, 'second signal: exiting now')
      logger.flush()
      process.exit(1)
    }
    logger.info({ signal: sig }, 'shutting down gracefully')
    proxy.shutdown().then(
      () => {
        logger.flush()
        process.exit(0)
      },
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed')
        logger.flush()
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  return proxy
}
