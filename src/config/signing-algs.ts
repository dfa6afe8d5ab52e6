// The JOSE algorithms a JWT may be signed with, once for the whole program: --oidc-signing-algs
// and --oidc-issuers-file are validated against it, and the per-workspace JWT authenticators
// verify with all of it. It is Kubernetes' list (allowedSigningAlgs / AllValidSigningAlgorithms in
// k8s.io/apiserver/plugin/pkg/authenticator/token/oidc), which serves both --oidc-signing-algs
// and structured JWT authenticators: asymmetric only (HS* would let anyone holding the issuer's
// public key mint tokens; `none` is no signature) and no EdDSA.

export const jwtSigningAlgs = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'] as const

export type JWTSigningAlg = (typeof jwtSigningAlgs)[number]

export function isJWTSigningAlg(alg: string): alg is JWTSigningAlg {
  return (jwtSigningAlgs as readonly string[]).includes(alg)
}
