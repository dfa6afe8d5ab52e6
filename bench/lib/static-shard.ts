// A stand-in shard for figures the emulated shard's own CPU would cap or blur: on 2 cores, the
// emulator (Node, ~100 µs of CPU per GET) takes the core a second worker of ours needs, so the
// workers' scaling cannot show; and its time per request depends on the identity headers it gets,
// which moves a 1-connection CPU ratio (bench/round-trip.bench.ts). nginx (the baseline's
// bench/baselines/nginx.conf with one more location) answers the benchmark's GET in any logical
// cluster with the body and headers the emulated shard gave for it (a fresh Audit-Id per request,
// as the apiserver's), and passes everything else (the proxies' lists and watches) on to the
// emulated shard as the admin; the Shard's baseURL is pointed at it, so every proxy's controller
// routes the workspace there. The shard's identity checks are not made for the static
// answer: every target gets the same one, so the comparison stays fair.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildHandle } from './child.js'
import type { TopologyInfo } from './children/topology.js'
import { kubeRequest, tlsAgent, type TlsIdentity } from './kube-http.js'
import { shardURLOf, spawnNginx, type NginxProcess } from './targets.js'

/** Response headers of the emulated shard not repeated as fixed values (nginx writes its own, or per request). */
const PER_RESPONSE = new Set(['date', 'content-length', 'content-type', 'connection', 'keep-alive', 'audit-id'])

/** The text of an nginx single-quoted string; a `$` would be read as a variable, so it is refused. */
function nginxQuoted(text: string): string {
  if (text.includes('$')) throw new Error('a static answer with `$` cannot be served by nginx `return`')
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")
}

export async function startStaticShard(dir: string, topo: ChildHandle<TopologyInfo>, o: { http2: boolean }): Promise<NginxProcess> {
  const info = topo.info
  const f = info.files
  const shardURL = shardURLOf(info)
  const objectPath = `/clusters/${info.workspace.cluster}${info.objectPath}`
  if (!/^[\w/-]+$/.test(info.objectPath)) throw new Error(`static shard: ${info.objectPath} is not a plain path (the nginx location is a regex)`)
  const agent = tlsAgent({ ca: readFileSync(f.caCert, 'utf8') })
  const sample = await kubeRequest(agent, shardURL + objectPath, { token: info.adminToken })
  await agent.close()
  if (sample.status !== 200) throw new Error(`static shard: GET ${objectPath} on the emulated shard → HTTP ${sample.status}`)
  const fixed = Object.entries(sample.headers).filter(([k]) => !PER_RESPONSE.has(k))
  const serving = await topo.request<{ cert: string; key: string }>('issueShardServing')
  const answer = [
    `        location ~ ^/clusters/[^/]+${info.objectPath}$ {`,
    '            default_type application/json;',
    '            add_header Audit-Id $request_id always;',
    ...fixed.map(([k, v]) => `            add_header ${k} '${nginxQuoted(String(v))}' always;`),
    `            return 200 '${nginxQuoted(sample.text)}';`,
    '        }',
  ].join('\n')
  const n = await spawnNginx(join(dir, 'static-shard'), {
    LISTEN_OPTIONS: o.http2 ? 'ssl http2' : 'ssl', EXTRA_LOCATIONS: answer, UPSTREAM_HOSTPORT: new URL(shardURL).host,
    SERVING_CERT: serving.cert, SERVING_KEY: serving.key, CLIENT_CERT: f.adminCert, CLIENT_KEY: f.adminKey, CA: f.caCert,
  })
  const url = `https://127.0.0.1:${n.port}`
  await topo.request('setShardBaseURL', { shard: info.workspace.shard, url })
  // The baselines (direct, naive, nginx) take the shard's URL from here: they go to the stand-in too.
  info.shards[info.workspace.shard] = url
  return n
}

/**
 * Waits until every URL is answered by the stand-in (`Server: nginx/…`; the emulated shard sends
 * none): a proxy started before the Shard moved follows it through its Shard watch. Bounded: 15 s
 * for all of them.
 */
export async function awaitStandIn(clients: readonly { url: string; headers: Record<string, string>; tls: TlsIdentity }[]): Promise<void> {
  const deadline = Date.now() + 15_000
  for (const c of clients) {
    const agent = tlsAgent(c.tls)
    try {
      for (;;) {
        const r = await kubeRequest(agent, c.url, { headers: c.headers })
        if (r.status === 200 && String(r.headers.server).startsWith('nginx')) break
        if (Date.now() > deadline) throw new Error(`static shard: ${c.url} still answered by the emulated shard (HTTP ${r.status}) after 15 s`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    } finally {
      await agent.close()
    }
  }
}
