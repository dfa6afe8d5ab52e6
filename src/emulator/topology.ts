// startTopology(): PKI, shards, kcp bootstrap, and the harness-facing controls.
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { pino, type Logger } from 'pino'
import { createCA, type CertificateAuthority } from '../pki/index.js'
import { defaultTokens, ShardAuthenticator } from './auth.js'
import { Kcp, UnschedulableError } from './kcp.js'
import { kubeconfigYAML, writeBundle } from './kubeconfig.js'
import { resourceKey, WORKSPACES } from './resources.js'
import { seedWorkspace } from './seed-workspace.js'
import { Shard } from './shard.js'
import { deleteObject, putAuthConfig, putWorkspaceType } from './workspace-auth.js'
import type { CreatedWorkspace, CreateWorkspaceOptions, EmulatedShard, SeedWorkspacesOptions, IdentityHashGroup, KubeconfigOptions, StaticToken, Topology, TopologyFiles, TopologyOptions, TopologyPKI } from './types.js'

const IDENTITY_GROUPS: IdentityHashGroup[] = ['tenancy.kcp.io', 'topology.kcp.io', 'shards.core.kcp.io', 'migration.kcp.io']

interface Internals {
  host: string
  logger: Logger
  historyWindow: number
  bookmarkIntervalMs: number
  http2: boolean
  auth: ShardAuthenticator
  serving: { key: string; cert: string }
  pki: TopologyPKI
  kcp: Kcp
}

function normaliseShards(s: TopologyOptions['shards']): { name: string; labels: Record<string, string> }[] {
  const list = (s ?? ['root']).map((x) => (typeof x === 'string' ? { name: x, labels: {} } : { name: x.name, labels: { ...(x.labels ?? {}) } }))
  if (list.length === 0) throw new Error('startTopology: shards must name at least the root shard')
  const seen = new Set<string>()
  for (const x of list) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(x.name)) throw new Error(`startTopology: invalid shard name ${JSON.stringify(x.name)}`)
    if (seen.has(x.name)) throw new Error(`startTopology: duplicate shard name ${JSON.stringify(x.name)}`)
    seen.add(x.name)
  }
  return list
}

export async function startTopology(opts: TopologyOptions = {}): Promise<Topology> {
  const shardSpecs = normaliseShards(opts.shards)
  const host = opts.host ?? '127.0.0.1'
  const logger = opts.logger ?? pino({ level: 'silent' })
  const [servingCA, clientCA, requestHeaderCA] = await Promise.all([createCA('kcp-emulator-serving-ca'), createCA('kcp-emulator-client-ca'), createCA('kcp-emulator-requestheader-ca')])
  const extra = host === 'localhost' || host === '127.0.0.1' || host === '::1' ? {} : isIP(host) ? { ip: host } : { dns: host }
  const [serving, proxyClient, shardAdmin, admin] = await Promise.all([
    servingCA.issue({ commonName: 'kcp-emulator', usage: 'server', dnsNames: ['localhost', ...(extra.dns !== undefined ? [extra.dns] : [])], ipAddresses: ['127.0.0.1', '::1', ...(extra.ip !== undefined ? [extra.ip] : [])] }),
    requestHeaderCA.issue({ commonName: 'kcp-front-proxy', usage: 'client' }),
    clientCA.issue({ commonName: 'shard-admin', organizations: ['system:masters'], usage: 'client' }),
    // As kcp's own admin: in system:kcp:admin too, which survives the front-proxy's default drop groups.
    clientCA.issue({ commonName: 'admin', organizations: ['system:masters', 'system:kcp:admin'], usage: 'client' }),
  ])
  const pair = (ca: CertificateAuthority): { cert: string; key: string } => ({ cert: ca.cert, key: ca.key })
  const pki: TopologyPKI = { servingCA: pair(servingCA), clientCA: pair(clientCA), requestHeaderCA: pair(requestHeaderCA), proxyClient, shardAdmin, admin }
  // A copy: addToken() must change this topology only, not the shared defaults or the caller's array.
  const tokens = [...(opts.tokens ?? defaultTokens)]
  const auth = new ShardAuthenticator({ clientCA: clientCA.cert, requestHeaderCA: requestHeaderCA.cert, requestHeaderAllowedNames: opts.requestHeaderAllowedNames ?? ['kcp-front-proxy'], tokens })
  const identityHashes = Object.fromEntries(IDENTITY_GROUPS.map((g) => [g, randomBytes(32).toString('hex')])) as Record<IdentityHashGroup, string>
  const kcp = new Kcp({ ...(opts.externalURL !== undefined ? { externalURL: opts.externalURL } : {}), schedulingDelayMs: opts.schedulingDelayMs ?? 0, strictClusters: opts.strictClusters ?? false, identityHashes })
  const topo = new EmulatedTopology({ host, logger, historyWindow: opts.historyWindow ?? 10_000, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000, http2: opts.http2 ?? false, auth, serving, pki, kcp }, identityHashes, tokens)
  try {
    for (const s of shardSpecs) await topo.addShard(s.name, { labels: s.labels })
    if (opts.dir !== undefined) await topo.writeFiles(opts.dir)
  } catch (e) {
    await topo.close()
    throw e
  }
  return topo
}

class EmulatedTopology implements Topology {
  constructor(private readonly i: Internals, readonly identityHashes: Readonly<Record<IdentityHashGroup, string>>, private readonly tokens: TopologyOptions['tokens'] & object) {}

  get pki(): Readonly<TopologyPKI> {
    return this.i.pki
  }

  get root(): EmulatedShard {
    return this.i.kcp.root
  }

  get shards(): ReadonlyMap<string, EmulatedShard> {
    return this.i.kcp.shards
  }

  /** Internal access for benchmarks and white-box tests (not part of the public contract). */
  get internals(): { kcp: Kcp } {
    return { kcp: this.i.kcp }
  }

  private shard(name: string): Shard {
    const s = this.i.kcp.shards.get(name)
    if (!s) throw new Error(`unknown shard ${JSON.stringify(name)}`)
    return s
  }

  kubeconfig(o: KubeconfigOptions = {}): string {
    const shard = this.shard(o.shard ?? this.i.kcp.rootShardName)
    const server = o.server ?? `${shard.baseURL}${o.cluster !== undefined ? `/clusters/${o.cluster}` : ''}`
    const u = o.user ?? 'admin'
    const user = u === 'admin' ? this.i.pki.admin : u === 'shard-admin' ? this.i.pki.shardAdmin : u
    const userName = typeof u === 'string' ? u : 'token' in u ? 'token-user' : 'cert-user'
    return kubeconfigYAML({ server, caCert: this.i.pki.servingCA.cert, user, userName })
  }

  /** Every shard accepts this static bearer token from now on (e.g. a JWT minted after start, as an opaque token). */
  addToken(t: StaticToken): void {
    this.i.auth.addToken(t)
    this.tokens.push(t)
  }

  writeFiles(dir: string): Promise<TopologyFiles> {
    const root = this.i.kcp.root
    return writeBundle(dir, {
      servingCA: this.i.pki.servingCA.cert, clientCA: this.i.pki.clientCA.cert, requestHeaderCA: this.i.pki.requestHeaderCA.cert,
      proxyClient: this.i.pki.proxyClient, admin: this.i.pki.admin,
      rootKubeconfig: this.kubeconfig(), shardsKubeconfig: this.kubeconfig({ user: 'shard-admin', server: root.baseURL }),
      adminKubeconfig: this.kubeconfig({ cluster: 'root' }), rootBaseURL: root.baseURL, tokens: this.tokens,
    })
  }

  async addShard(name: string, o: { labels?: Record<string, string> } = {}): Promise<EmulatedShard> {
    const kcp = this.i.kcp
    if (kcp.shards.has(name)) throw new Error(`shard ${JSON.stringify(name)} already exists`)
    const shard = new Shard({
      name, host: this.i.host, labels: { ...(o.labels ?? {}) },
      tls: { key: this.i.serving.key, cert: this.i.serving.cert, clientCAs: [this.i.pki.clientCA.cert, this.i.pki.requestHeaderCA.cert] },
      auth: this.i.auth, directory: kcp, hooks: (s) => kcp.hooks(s), logger: this.i.logger.child({ shard: name }), historyWindow: this.i.historyWindow, bookmarkIntervalMs: this.i.bookmarkIntervalMs, http2: this.i.http2,
    })
    await shard.start()
    kcp.shards.set(name, shard)
    if (kcp.rootShardName === '') {
      kcp.rootShardName = name
      kcp.bootstrapRoot()
    }
    kcp.publishShard(shard)
    return shard
  }

  async removeShard(name: string): Promise<void> {
    const s = this.shard(name)
    if (name === this.i.kcp.rootShardName) throw new Error('the root shard cannot be removed')
    await s.stop()
    this.i.kcp.unpublishShard(name)
    this.i.kcp.shards.delete(name)
  }

  async setShardBaseURL(name: string, baseURL: string): Promise<void> {
    const s = this.shard(name)
    s.baseURL = baseURL
    this.i.kcp.publishShard(s)
  }

  async setExternalURL(url: string | undefined): Promise<void> {
    if (url !== undefined) new URL(url) // throws on a malformed URL before anything changes
    this.i.kcp.setExternalURL(url)
  }

  async createWorkspace(parentPath: string, name: string, o: CreateWorkspaceOptions = {}): Promise<CreatedWorkspace> {
    const kcp = this.i.kcp
    const parent = kcp.resolvePath(parentPath)
    if (!parent) throw new Error(`parent workspace ${JSON.stringify(parentPath)} does not resolve`)
    const shard = this.shard(parent.shard)
    if (o.shard !== undefined) this.shard(o.shard)
    const [typePath, typeName] = splitType(o.type ?? 'root:universal')
    const spec: Record<string, unknown> = { type: { name: typeName, path: typePath } }
    if (o.selector) spec.location = { selector: { matchLabels: o.selector } }
    if (o.mount) {
      spec.mount = { ref: o.mount.ref ?? {} }
      spec.URL = o.mount.URL
    }
    const key = `${shard.name}/${parent.cluster}/${name}`
    if (o.shard !== undefined) kcp.forcedShard.set(key, o.shard)
    const phase = o.waitForPhase ?? 'Ready'
    const reached = waitForPhase(shard, parent.cluster, name, phase)
    try {
      shard.core.create(WORKSPACES, parent.cluster, '', { metadata: { name }, spec }, { fieldManager: 'kcp-emulator' })
    } catch (e) {
      kcp.forcedShard.delete(key)
      reached.cancel()
      throw e
    }
    const scheduled = kcp.scheduling.get(key)
    await Promise.race([reached.promise, scheduled?.catch((e: unknown) => {
      reached.cancel()
      throw e instanceof UnschedulableError ? new Error(`workspace ${parentPath}:${name} cannot be scheduled: ${e.message}`) : e
    }).then(() => reached.promise)].filter((p) => p !== undefined))
    const ws = shard.store.get(resourceKey(WORKSPACES), parent.cluster, '', name)
    const wsSpec = (ws?.obj.spec ?? {}) as { cluster?: string }
    const cluster = wsSpec.cluster ?? ''
    return { path: `${kcp.pathOf(shard, parent.cluster)}:${name}`, cluster, shard: cluster === '' ? '' : (kcp.shardOf(cluster)?.name ?? '') }
  }

  seedWorkspaces(parentPath: string, names: readonly string[], o: SeedWorkspacesOptions = {}): CreatedWorkspace[] {
    const kcp = this.i.kcp
    const parent = kcp.resolvePath(parentPath)
    if (!parent) throw new Error(`parent workspace ${JSON.stringify(parentPath)} does not resolve`)
    const parentShard = this.shard(parent.shard)
    const targets = (o.shards ?? [...kcp.shards.keys()]).map((n) => this.shard(n))
    if (targets.length === 0) throw new Error('seedWorkspaces: no shards to place workspaces on')
    const [path, name] = splitType(o.type ?? 'root:universal')
    const parentPathCanonical = kcp.pathOf(parentShard, parent.cluster)
    return names.map((ws, i) => {
      const target = targets[i % targets.length]
      const cluster = seedWorkspace(kcp, parentShard, parent.cluster, ws, target, { name, path })
      return { path: `${parentPathCanonical}:${ws}`, cluster, shard: target.name }
    })
  }

  async deleteWorkspace(path: string): Promise<void> {
    const found = this.i.kcp.findWorkspace(path)
    if (!found) throw new Error(`workspace ${JSON.stringify(path)} not found`)
    found.shard.core.delete(WORKSPACES, found.ws.cluster, '', found.ws.name)
  }

  async setWorkspacePhase(path: string, phase: string): Promise<void> {
    const kcp = this.i.kcp
    const found = kcp.findWorkspace(path)
    if (!found) throw new Error(`workspace ${JSON.stringify(path)} not found`)
    kcp.setPhase(found.shard, found.ws, phase)
    const cluster = (found.ws.obj.spec as { cluster?: string } | undefined)?.cluster
    const lcShard = cluster !== undefined && cluster !== '' ? kcp.shardOf(cluster) : undefined
    if (lcShard && cluster !== undefined) kcp.setLogicalClusterPhase(lcShard, cluster, phase)
  }

  resolvePath(path: string): { cluster: string; shard: string } | undefined {
    return this.i.kcp.resolvePath(path)
  }

  async putWorkspaceType(path: string, name: string, o: { authenticationConfigurations?: readonly string[] } = {}): Promise<void> {
    putWorkspaceType(this.i.kcp, path, name, o.authenticationConfigurations ?? [])
  }

  async putAuthConfig(path: string, name: string, spec: { jwt: readonly object[] }): Promise<void> {
    putAuthConfig(this.i.kcp, path, name, spec)
  }

  async deleteWorkspaceType(path: string, name: string): Promise<void> {
    deleteObject(this.i.kcp, 'workspacetypes', path, name)
  }

  async deleteAuthConfig(path: string, name: string): Promise<void> {
    deleteObject(this.i.kcp, 'workspaceauthenticationconfigurations', path, name)
  }

  async close(): Promise<void> {
    this.i.kcp.close()
    await Promise.all([...this.i.kcp.shards.values()].map((s) => s.stop()))
  }
}

function splitType(t: string): [string, string] {
  const i = t.lastIndexOf(':')
  return i < 0 ? ['root', t] : [t.slice(0, i), t.slice(i + 1)]
}

const PHASE_ORDER = ['Scheduling', 'Initializing', 'Ready']

/** Resolves once the workspace reports `phase` (or a later one of Scheduling → Initializing → Ready). */
function waitForPhase(shard: Shard, cluster: string, name: string, phase: string): { promise: Promise<void>; cancel: () => void } {
  let cancel = (): void => {}
  const promise = new Promise<void>((resolve) => {
    const target = PHASE_ORDER.indexOf(phase)
    const check = (): boolean => {
      const ws = shard.store.get(resourceKey(WORKSPACES), cluster, '', name)
      const p = (ws?.obj.status as { phase?: string } | undefined)?.phase ?? ''
      return p === phase || (target >= 0 && PHASE_ORDER.indexOf(p) >= target)
    }
    const unsubscribe = shard.store.subscribe(resourceKey(WORKSPACES), (ev) => {
      if (ev.object.cluster === cluster && ev.object.name === name && ev.type !== 'DELETED' && check()) {
        unsubscribe()
        resolve()
      }
    })
    cancel = unsubscribe
  })
  return { promise, cancel }
}
