import t from 'tap'
import { discoveryEndpoints } from '../../src/controller/peers.js'
import type { KubeClientConfig } from '../../src/kube/kubeconfig.js'

const cfg = (server: string, file = 'x.kubeconfig'): KubeClientConfig => ({ server: new URL(server), insecureSkipTLSVerify: false, file })
const summary = (list: { label: string; config: KubeClientConfig }[]): string[] => list.map((e) => `${e.label}=${e.config.server.href}`)

t.test('discovery endpoints: peers in flag order, then the root shard; identities fall back to the root shard itself', async (t) => {
  const cases: { name: string; root: string; peers: string[]; shards: string[]; identities: string[] }[] = [
    {
      name: 'two peers',
      root: 'https://root:6443',
      peers: ['https://a:6443', 'https://b:6443'],
      shards: ['peer-1=https://a:6443/services/admin', 'peer-2=https://b:6443/services/admin', 'root=https://root:6443/services/admin'],
      identities: ['peer-1=https://a:6443/services/admin', 'peer-2=https://b:6443/services/admin', 'root=https://root:6443/services/admin', 'root (direct)=https://root:6443/'],
    },
    {
      name: 'a /clusters/<name> path is dropped, as for the root kubeconfig',
      root: 'https://root:6443/clusters/root',
      peers: ['https://a:6443/clusters/root/'],
      shards: ['peer-1=https://a:6443/services/admin', 'root=https://root:6443/services/admin'],
      identities: ['peer-1=https://a:6443/services/admin', 'root=https://root:6443/services/admin', 'root (direct)=https://root:6443/'],
    },
    {
      name: 'the same server twice is used once (first label wins), also when a peer is the root shard',
      root: 'https://root:6443',
      peers: ['https://a:6443', 'https://a:6443/', 'https://root:6443'],
      shards: ['peer-1=https://a:6443/services/admin', 'peer-3=https://root:6443/services/admin'],
      identities: ['peer-1=https://a:6443/services/admin', 'peer-3=https://root:6443/services/admin', 'root (direct)=https://root:6443/'],
    },
    {
      name: 'a root shard behind a path prefix serves identities only',
      root: 'https://lb/kcp',
      peers: ['https://a:6443'],
      shards: ['peer-1=https://a:6443/services/admin'],
      identities: ['peer-1=https://a:6443/services/admin', 'root (direct)=https://lb/kcp'],
    },
  ]
  for (const c of cases) {
    const e = discoveryEndpoints(cfg(c.root), c.peers.map((p) => cfg(p)))
    t.same(summary(e.shards), c.shards, `${c.name}: shards`)
    t.same(summary(e.identities), c.identities, `${c.name}: identities`)
  }
})

t.test('a peer whose server has another path is refused, naming the file', async (t) => {
  t.throws(() => discoveryEndpoints(cfg('https://root:6443'), [cfg('https://a:6443/prefix', '/etc/peer.kubeconfig')]), /--shard-peer-kubeconfig \/etc\/peer\.kubeconfig: server https:\/\/a:6443\/prefix must be a shard's base URL/)
})

t.test('credentials are kept per peer', async (t) => {
  const peer: KubeClientConfig = { ...cfg('https://a:6443'), token: 'peer-token', ca: 'CA' }
  const e = discoveryEndpoints(cfg('https://root:6443'), [peer])
  t.match(e.shards[0].config, { token: 'peer-token', ca: 'CA', file: 'x.kubeconfig' })
})
