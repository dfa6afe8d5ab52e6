// runFrontProxy(): the CLI's entry, with stdout logging and signal handling.
import type { CompletedOptions } from '../config/types.js'
import { buildFrontProxy } from './build.js'
import type { FrontProxy } from './front-proxy.js'
import { createLogger, logDestination, logFlushMs } from './logging.js'

/**
 * For the CLI: logs to stdout at the -v level, handles SIGTERM/SIGINT gracefully (delay,
 * drain), and exits at once on a second signal.
 */
export async function runFrontProxy(options: CompletedOptions): Promise<FrontProxy> {
  const logger = createLogger({ v: options.logging.v, stream: logDestination(1, { flushMs: logFlushMs(options.logging.logFlushSeconds) }) })
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
