// --tracing-config-file: kube-apiserver's and kcp's TracingConfiguration (apiserver.config.k8s.io),
// `endpoint` (an OTLP/gRPC collector, host:port, default localhost:4317) and
// `samplingRatePerMillion` (default 0: only requests whose traceparent says sampled are traced).
// Errors name file, line and field, like the mapping and OIDC issuers files.

import { readFileSync } from 'node:fs'
import { isMap, isNode, isScalar } from 'yaml'
import { parseYAMLFile } from './yaml-file.js'

/** What the file says, defaults filled in. */
export interface TracingConfig {
  /** host:port of the OTLP/gRPC collector (plaintext, as upstream). */
  endpoint: string
  /** Requests per million sampled when the client sent no traceparent; 0..1,000,000. */
  samplingRatePerMillion: number
}

export const DEFAULT_TRACING_ENDPOINT = 'localhost:4317'
/** The apiVersions kube-apiserver reads TracingConfiguration in. */
export const TRACING_API_VERSIONS = ['apiserver.config.k8s.io/v1alpha1', 'apiserver.config.k8s.io/v1beta1', 'apiserver.config.k8s.io/v1'] as const
const known = new Set(['apiVersion', 'kind', 'endpoint', 'samplingRatePerMillion'])

export interface TracingFile { config: TracingConfig | undefined; errors: string[] }

export function loadTracingFile(file: string): TracingFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    return { config: undefined, errors: [`cannot read ${file}: ${(err as Error).message}`] }
  }
  return parseTracingConfig(text, file)
}

/**
 * host:port, [v6]:port or http://host:port (upstream hands the value to the gRPC exporter, which
 * dials it in plaintext); the `http://` is dropped. Returns an error message or the endpoint.
 */
export function normalizeEndpoint(raw: string): { endpoint: string } | { error: string } {
  const s = raw.startsWith('http://') ? raw.slice(7).replace(/\/$/, '') : raw
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return { error: `only plaintext host:port is supported (upstream: "the connection is insecure, and does not currently support TLS"), got ${JSON.stringify(raw)}` }
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s)
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) return { error: `expected host:port, got ${JSON.stringify(raw)}` }
  return { endpoint: s }
}

export function parseTracingConfig(text: string, file: string): TracingFile {
  const { root, at, errors } = parseYAMLFile(text, file)
  if (root === undefined) return { config: undefined, errors }
  if (!isMap(root)) return { config: undefined, errors: [`${at(root)}: expected a TracingConfiguration object`] }
  const config: TracingConfig = { endpoint: DEFAULT_TRACING_ENDPOINT, samplingRatePerMillion: 0 }
  const seen = new Set<string>()
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    const node = isNode(pair.value) ? pair.value : isNode(pair.key) ? pair.key : null
    const value: unknown = isNode(pair.value) ? pair.value.toJSON() : null
    const where = `${at(node)}: ${key}`
    seen.add(key)
    if (!known.has(key)) errors.push(`${where}: unknown field (known: ${[...known].join(', ')})`)
    else if (key === 'apiVersion') {
      if (!(TRACING_API_VERSIONS as readonly unknown[]).includes(value)) errors.push(`${where}: expected one of ${TRACING_API_VERSIONS.join(', ')}, got ${JSON.stringify(value)}`)
    } else if (key === 'kind') {
      if (value !== 'TracingConfiguration') errors.push(`${where}: expected TracingConfiguration, got ${JSON.stringify(value)}`)
    } else if (key === 'endpoint') {
      if (typeof value !== 'string') errors.push(`${where}: expected a string`)
      else {
        const e = normalizeEndpoint(value)
        if ('error' in e) errors.push(`${where}: ${e.error}`)
        else config.endpoint = e.endpoint
      }
    } else if (typeof value !== 'number' || !Number.isInteger(value)) errors.push(`${where}: expected an integer`)
    else if (value < 0 || value > 1_000_000) errors.push(`${where}: must be between 0 and 1000000, got ${value}`)
    else config.samplingRatePerMillion = value
  }
  if (!seen.has('apiVersion')) errors.push(`${at(root)}: apiVersion: required (${TRACING_API_VERSIONS.join(', ')})`)
  if (!seen.has('kind')) errors.push(`${at(root)}: kind: required (TracingConfiguration)`)
  return errors.length > 0 ? { config: undefined, errors } : { config, errors }
}
