// Tiny HTTPS client for seeding and probing shards and proxies in benchmarks and
// e2e tests: one undici Agent per TLS identity, JSON in and out.
import { Agent, request } from 'undici'

export interface TlsIdentity {
  /** PEM CA that verifies the server. */
  ca: string
  /** Optional client certificate and key (PEM). */
  cert?: string
  key?: string
}

export function tlsAgent(id: TlsIdentity, connections?: number): Agent {
  return new Agent({
    connect: { ca: id.ca, cert: id.cert, key: id.key },
    ...(connections === undefined ? {} : { connections }),
  })
}

export interface KubeResponse<T = unknown> {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: T
  text: string
}

export async function kubeRequest<T = unknown>(
  dispatcher: Agent,
  url: string,
  o: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; body?: unknown; token?: string; headers?: Record<string, string>; contentType?: string } = {},
): Promise<KubeResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...o.headers }
  if (o.token) headers.authorization = `Bearer ${o.token}`
  let body: string | undefined
  if (o.body !== undefined) {
    body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body)
    headers['content-type'] = o.contentType ?? 'application/json'
  }
  const res = await request(url, { dispatcher, method: o.method ?? 'GET', headers, body })
  const text = await res.body.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch { /* plain-text answers (e.g. 503 "Not available.") stay text */ }
  return { status: res.statusCode, headers: res.headers, body: parsed as T, text }
}

/** A ConfigMap whose JSON encoding is about `bytes` long (the data value pads it out). */
export function configMapOfSize(name: string, bytes: number, namespace = 'default'): Record<string, unknown> {
  const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { bench: 'true' } }, data: { payload: '' } }
  // The server adds uid, resourceVersion, creationTimestamp, managedFields and the kcp.io/cluster annotation
  // (~400 bytes); subtract a conservative estimate so the served object lands near the target size.
  const overhead = JSON.stringify(base).length + 400
  base.data.payload = 'x'.repeat(Math.max(0, bytes - overhead))
  return base
}

/** Creates (POST) a configmap in `clusterURL` (a base URL ending in /clusters/<lc>); 409 counts as done. */
export async function ensureConfigMap(dispatcher: Agent, clusterURL: string, cm: Record<string, unknown>, token: string): Promise<void> {
  const ns = (cm.metadata as { namespace: string }).namespace
  const r = await kubeRequest(dispatcher, `${clusterURL}/api/v1/namespaces/${ns}/configmaps`, { method: 'POST', body: cm, token })
  if (r.status !== 201 && r.status !== 409) throw new Error(`create configmap: HTTP ${r.status}: ${r.text.slice(0, 300)}`)
}
