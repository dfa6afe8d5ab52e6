// Options in three steps, each reporting every problem: parseArgs (flags → input),
// completeOptions (defaults, absolute paths), validateOptions (all errors at once).
export * from './types.js'
export { flags, sections, flagByName, type FlagDef, type FlagType, type Section, type Support } from './flags.js'
export { parseArgs, normalizeFlagName, type ParseResult } from './parse.js'
export { completeOptions, defaultDropGroups, defaultFeatureGates, type Mode, type CompleteEnv } from './complete.js'
export { validateOptions } from './validate.js'
export { jwtSigningAlgs, isJWTSigningAlg, type JWTSigningAlg } from './signing-algs.js'
export { formatHelp } from './help.js'
export { nodeTLSSettings, validateTLS, type NodeTLSSettings } from './tls.js'
export { compileGoRegexp } from './regexp.js'
export { loadOIDCIssuersFile, parseOIDCIssuers, completeIssuer } from './oidc-issuers.js'
