// --oidc-issuers-file (our extension): a YAML list of OIDC issuers, each with the same
// settings as the single-issuer --oidc-* flags. Errors name file, line and field.

import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { isMap, isNode, isScalar, isSeq, type Node } from 'yaml'
import { parseYAMLFile } from './yaml-file.js'
import type { OIDCIssuerOptions } from './types.js'

const stringFields = ['issuerURL', 'clientID', 'caFile', 'usernameClaim', 'usernamePrefix', 'groupsClaim', 'groupsPrefix'] as const
const known = new Set<string>([...stringFields, 'signingAlgs', 'requiredClaims'])

/** Defaults of one issuer: the same as the --oidc-* flags. */
export function completeIssuer(i: Partial<OIDCIssuerOptions>): OIDCIssuerOptions {
  return {
    issuerURL: i.issuerURL ?? '',
    clientID: i.clientID ?? '',
    caFile: i.caFile ?? '',
    usernameClaim: i.usernameClaim || 'sub',
    usernamePrefix: i.usernamePrefix ?? '',
    groupsClaim: i.groupsClaim ?? '',
    groupsPrefix: i.groupsPrefix ?? '',
    signingAlgs: i.signingAlgs && i.signingAlgs.length > 0 ? [...i.signingAlgs] : ['RS256'],
    requiredClaims: { ...(i.requiredClaims ?? {}) },
  }
}

export interface IssuersFile { issuers: OIDCIssuerOptions[]; errors: string[] }

export function loadOIDCIssuersFile(file: string): IssuersFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    return { issuers: [], errors: [`--oidc-issuers-file: cannot read ${file}: ${(err as Error).message}`] }
  }
  return parseOIDCIssuers(text, file)
}

export function parseOIDCIssuers(text: string, file: string): IssuersFile {
  const { root, at, errors } = parseYAMLFile(text, file)
  if (root === undefined) return { issuers: [], errors }
  if (root === null) return { issuers: [], errors: [] }
  if (!isSeq(root)) return { issuers: [], errors: [`${at(root)}: expected a list of issuers`] }
  const issuers: OIDCIssuerOptions[] = []
  root.items.forEach((item, idx) => {
    const where = (n: Node | null | undefined, field?: string): string => `${at(n ?? (item))}: [${idx}]${field ? `.${field}` : ''}`
    if (!isMap(item)) { errors.push(`${where(item)}: expected a mapping`); return }
    const raw: Partial<OIDCIssuerOptions> = {}
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : ''
      const valueNode = isNode(pair.value) ? pair.value : null
      const value: unknown = valueNode ? valueNode.toJSON() : null
      if (!known.has(key)) { errors.push(`${where(isNode(pair.key) ? pair.key : null, key)}: unknown field (known: ${[...known].join(', ')})`); continue }
      if (key === 'signingAlgs') {
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) errors.push(`${where(valueNode, key)}: expected a list of strings`)
        else raw.signingAlgs = value
      } else if (key === 'requiredClaims') {
        if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
          errors.push(`${where(valueNode, key)}: expected a map of string to string`)
        } else raw.requiredClaims = value as Record<string, string>
      } else if (typeof value !== 'string') {
        errors.push(`${where(valueNode, key)}: expected a string`)
      } else {
        raw[key as (typeof stringFields)[number]] = value
      }
    }
    if (!raw.issuerURL) errors.push(`${where(item)}.issuerURL: required`)
    if (!raw.clientID) errors.push(`${where(item)}.clientID: required`)
    // A CA path in the file is relative to the file, like kubeconfig paths.
    if (raw.caFile) raw.caFile = resolve(dirname(file), raw.caFile)
    issuers.push(completeIssuer(raw))
  })
  return { issuers, errors }
}
