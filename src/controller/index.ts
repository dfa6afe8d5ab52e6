export { createIndexController, shardsPath, type IndexControllerOptions } from './index-controller.js'
export { decorateWildcardPath, resolveIdentities, IdentityError, type Identities } from './identity.js'
export { evaluateReadiness, type ReadinessState, type ShardReadinessState } from './readiness.js'
export type { IndexController, ReadinessCheck, ReadinessReport } from './types.js'
