// Part of step 2 (complete): the textual options the program acts on, parsed once into typed
// values. A value that cannot be parsed is left out and becomes a CompletionProblem, which
// validateOptions() reports with every other error; a field of the wrong type (createFrontProxy()
// callers can pass anything) is left to validateOptions()' type check and gets the default here.

import { compileGoRegexp } from './regexp.js'
import { nodeTLSSettings, type NodeTLSSettings } from './tls.js'
import type { AuthenticationOptions, CompletionProblem, FrontProxyOptions, HostPort, OIDCIssuerOptions } from './types.js'
import { parseDurationSeconds, parseHostPort } from './values.js'

export interface Derived {
  tls: NodeTLSSettings
  corsOrigins: RegExp[]
  logFlushSeconds: number
  metricsListen: HostPort | undefined
  problems: CompletionProblem[]
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')

/** The --oidc-* flags as one issuer entry (none without --oidc-issuer-url). */
export function primaryIssuer(o: AuthenticationOptions): OIDCIssuerOptions[] {
  if (o.oidcIssuerURL === '') return []
  return [{
    issuerURL: o.oidcIssuerURL,
    clientID: o.oidcClientID,
    caFile: o.oidcCAFile,
    usernameClaim: o.oidcUsernameClaim,
    usernamePrefix: o.oidcUsernamePrefix,
    groupsClaim: o.oidcGroupsClaim,
    groupsPrefix: o.oidcGroupsPrefix,
    signingAlgs: o.oidcSigningAlgs,
    requiredClaims: o.oidcRequiredClaim,
  }]
}

/** Takes options with every default filled in. */
export function deriveValues(o: FrontProxyOptions): Derived {
  const problems: CompletionProblem[] = []
  const { secureServing: ss, proxy: px, logging: lg, extra: ex } = o

  const tlsNames = { tlsCipherSuites: ss.tlsCipherSuites, tlsCurvePreferences: ss.tlsCurvePreferences, tlsMinVersion: ss.tlsMinVersion }
  const tls = isStringList(tlsNames.tlsCipherSuites) && isStringList(tlsNames.tlsCurvePreferences) && typeof tlsNames.tlsMinVersion === 'string'
    ? nodeTLSSettings(tlsNames)
    : nodeTLSSettings({ tlsCipherSuites: [], tlsCurvePreferences: [], tlsMinVersion: '' })

  const corsOrigins: RegExp[] = []
  for (const p of isStringList(px.corsAllowedOrigins) ? px.corsAllowedOrigins : []) {
    const c = compileGoRegexp(p)
    if (c.ok) corsOrigins.push(c.re)
    else problems.push({ flag: 'cors-allowed-origins', message: `--cors-allowed-origins: ${JSON.stringify(p)} is not a valid regular expression: ${c.reason}` })
  }

  // A malformed duration is the type check's to report (it names the options field too).
  const flush = typeof lg.logFlushFrequency === 'string' ? parseDurationSeconds(lg.logFlushFrequency) : undefined
  const logFlushSeconds = flush?.ok === true ? flush.value : 5

  let metricsListen: HostPort | undefined
  if (typeof ex.metricsBindAddress === 'string' && ex.metricsBindAddress !== '') {
    const hp = parseHostPort(ex.metricsBindAddress)
    if (hp.ok) metricsListen = hp.value
    else problems.push({ flag: 'metrics-bind-address', message: `--metrics-bind-address: ${JSON.stringify(ex.metricsBindAddress)} ${hp.reason}` })
  }

  return { tls, corsOrigins, logFlushSeconds, metricsListen, problems }
}
