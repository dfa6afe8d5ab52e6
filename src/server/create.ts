// createFrontProxy(): the embedding entry (tests, harnesses) from a partial options object.
import pino, { type DestinationStream, type Logger } from 'pino'
import { completeOptions, validateOptions } from '../config/index.js'
import type { FrontProxyInput } from '../config/types.js'
import { buildFrontProxy } from './build.js'
import type { ConnectionLimits } from './connection-limits.js'
import type { FrontProxy } from './front-proxy.js'
import { createLogger } from './logging.js'

export type CreateFrontProxyInput = FrontProxyInput & {
  logger?: Logger
  logStream?: NodeJS.WritableStream | DestinationStream
  /** Client connection bounds (docs/server.md); upstream's values unless a harness shortens them. */
  connectionLimits?: Partial<ConnectionLimits>
  /**
   * Gives up the start, e.g. `AbortSignal.timeout(30_000)`: while the root shard is unreachable the
   * start waits for the index without end (as upstream's proxy, which retries). Aborting stops what
   * was started and rejects with the signal's reason. It has no effect once the promise resolved.
   */
  signal?: AbortSignal
}

export class InvalidOptionsError extends Error {
  readonly errors: string[]
  constructor(errors: string[]) {
    super(`invalid front-proxy options:\n  ${errors.join('\n  ')}`)
    this.name = 'InvalidOptionsError'
    this.errors = errors
  }
}

/**
 * Starts a front-proxy from a partial options object (embedded defaults: 127.0.0.1, a free
 * port). Resolves once the index controller is ready and the port is listening (`signal` gives
 * up waiting). Throws InvalidOptionsError listing every option problem.
 */
export async function createFrontProxy(input: CreateFrontProxyInput): Promise<FrontProxy> {
  const { logger: given, logStream, connectionLimits, signal, ...rest } = input
  const options = completeOptions(rest, 'embedded')
  const errors = validateOptions(options)
  if (errors.length > 0) throw new InvalidOptionsError(errors)
  const logger = given ?? (logStream !== undefined ? createLogger({ v: options.logging.v, stream: logStream }) : pino({ level: 'silent' }))
  return buildFrontProxy(options, logger, { connectionLimits, signal })
}

