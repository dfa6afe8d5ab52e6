// Public entry of the server: createFrontProxy() for embedding (tests, harnesses),
// runFrontProxy() for the CLI, startFrontProxy() for callers with their own parts.
export { createFrontProxy, InvalidOptionsError, type CreateFrontProxyInput } from './create.js'
export { runFrontProxy } from './run.js'
export { buildFrontProxy, type GivenIndexes } from './build.js'
export { startFrontProxy, type FrontProxy, type FrontProxyParts, type ServerAuthentication } from './front-proxy.js'
export type { ConnectionLimits } from './connection-limits.js'
export { createLogger, levelForVerbosity, logDestination } from './logging.js'
