// Authentication at the edge: what the server and embedders use of src/auth.
export { createAuthentication, additionalAuthEnabled, type AuthenticationDeps } from './authentication.js'
export { applyIdentityHeaders, goPathEscape } from './headers.js'
export type { AuthDecision, AuthRequest, Authenticator, UserInfo } from './types.js'
export type { AuthenticateOptions, Authentication, MetricsAuthorization } from './edge.js'
