// A client's Host (HTTP/2: :authority) must not choose the TLS server name of the proxy's
// connection to a shard, nor which pooled connection is used: it made every request with a
// foreign Host fail the shard's certificate check (502), and alternating Host values cost a new
// handshake per request. The shard still receives the client's Host header, as upstream's
// ReverseProxy Director leaves req.Host alone.
import t from 'tap'
import type { TLSSocket } from 'node:tls'
import { arena, whoami, whoamiH2 } from './arena.js'
import { h1 } from '../proxy/fixtures/client.js'
import { startBackend, startProxy, twoShardIndex } from '../proxy/fixtures/env.js'

t.test('Host: a foreign Host header reaches the shard without breaking its TLS check or its connection reuse (HTTP/1.1 and HTTP/2)', async (t) => {
  const a = await arena(t)
  const alpha = a.topo.shards.get('alpha')!
  t.equal((await whoami(a, { headers: { authorization: 'Bearer user-token', host: 'kcp.example.com' } })).status, 201, 'HTTP/1.1 with Host: kcp.example.com')
  t.equal((await whoamiH2(a, { headers: { authorization: 'Bearer user-token', ':authority': 'kcp.example.com:443' } })).status, 201, 'HTTP/2 with :authority kcp.example.com')
  const before = alpha.stats.connections
  for (let i = 0; i < 30; i++) {
    const host = `tenant-${i % 3}.example.com`
    const r = i % 2 === 0
      ? await whoami(a, { headers: { authorization: 'Bearer user-token', host } })
      : await whoamiH2(a, { headers: { authorization: 'Bearer user-token', ':authority': host } })
    t.equal(r.status, 201, `request ${i} with Host ${host}`)
  }
  t.ok(alpha.stats.connections - before <= 1, `30 requests with alternating Host values opened ${alpha.stats.connections - before} shard connections`)
})

t.test('Host: the shard sees the client\'s Host; the TLS server name is the shard URL\'s host', async (t) => {
  const backend = await startBackend(t)
  let sni: string | false | undefined
  backend.server.on('secureConnection', (s: TLSSocket) => (sni = (s as TLSSocket & { servername?: string | false }).servername))
  // A DNS name for the shard, so there is a server name to send (none is sent for an IP).
  const shardURL = backend.url.replace('127.0.0.1', 'localhost')
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: shardURL }], index: twoShardIndex(shardURL, shardURL) })
  const r = await h1(`${env.proxy.url}/clusters/root:org/api`, env.ca, { headers: { host: 'kcp.example.com' } })
  t.equal(r.status, 200)
  t.equal(JSON.parse(r.body).headers.host, 'kcp.example.com', 'the client\'s Host is forwarded')
  t.equal(sni, 'localhost', 'the TLS server name is the shard\'s host, not the client\'s')
})
