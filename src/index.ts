// Package entry: the embeddable front-proxy and the types callers need.
export { createFrontProxy, runFrontProxy, startFrontProxy, InvalidOptionsError, type FrontProxy, type CreateFrontProxyInput } from './server/index.js'
export type { FrontProxyInput, FrontProxyOptions, CompletedOptions } from './config/types.js'
export type { RoutingIndexReader, LookupResult } from './index/types.js'
export type { UserInfo } from './auth/types.js'
export { ProxyError, type KubeStatus } from './errors.js'
