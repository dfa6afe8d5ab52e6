// Upgrades are tunnelled, never terminated: a WebSocket session (ws) and a SPDY-style raw
// 101 go through with the same routing, authentication and identity stamping as requests.
import t from 'tap'
import { connect as tlsConnect } from 'node:tls'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import type { AuthDecision } from '../../src/auth/types.js'
import { startBackend, startProxy, twoShardIndex } from './fixtures/env.js'

const alice: AuthDecision = { kind: 'user', method: 'test', user: { name: 'alice', groups: ['dev'], extra: {} } }

function rawUpgrade(proxyURL: string, ca: string, path: string, extra = ''): Promise<{ head: string; socket: Duplex }> {
  const u = new URL(proxyURL)
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca, ALPNProtocols: ['http/1.1'] }, () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n${extra}\r\n`)
    })
    let buf = ''
    const onData = (c: Buffer): void => {
      buf += c.toString('latin1')
      const i = buf.indexOf('\r\n\r\n')
      if (i >= 0) {
        s.off('data', onData)
        resolve({ head: buf, socket: s })
      }
    }
    s.on('data', onData)
    s.on('error', reject)
  })
}

t.test('a SPDY-style upgrade is relayed (101) and then bytes flow both ways, identity stamped, forgeries stripped', async (t) => {
  const root = await startBackend(t)
  let seen: IncomingMessage | undefined
  root.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    seen = req
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n')
    socket.on('data', (c: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), c])))
  })
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), authentication: { authenticate: async () => alice } })
  const { head, socket } = await rawUpgrade(env.proxy.url, env.ca, '/clusters/root:org/api/v1/namespaces/d/pods/p/exec?command=sh', 'X-Remote-User: admin\r\nX-Remote-Group: system:masters\r\n')
  t.teardown(() => socket.destroy())
  t.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/)
  t.match(head, /X-Stream-Protocol-Version: v4\.channel\.k8s\.io/)
  t.equal(seen?.url, '/clusters/orgcluster/api/v1/namespaces/d/pods/p/exec?command=sh')
  t.equal(seen?.headers['x-remote-user'], 'alice')
  t.equal(seen?.headers['x-remote-group'], 'dev')
  t.equal(seen?.headers.upgrade, 'SPDY/3.1')
  const echoed = new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString())))
  socket.write('ping')
  t.equal(await echoed, 'echo:ping')
  t.match(await env.proxy.registry.metrics(), /kcp_front_proxy_active_tunnels 1/)
})

t.test('a WebSocket session is tunnelled end to end (frames untouched, subprotocols kept)', async (t) => {
  const root = await startBackend(t)
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (ps) => [...ps].pop() ?? false })
  t.teardown(() => wss.close())
  let protocolsSeen = ''
  root.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    protocolsSeen = String(req.headers['sec-websocket-protocol'])
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m, binary) => ws.send(binary ? m : `echo:${(m as Buffer).toString()}`)))
  })
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const ws = new WebSocket(`${env.proxy.url.replace('https', 'wss')}/clusters/root:org/api/v1/namespaces/d/pods/p/exec`, ['v4.channel.k8s.io', 'v5.channel.k8s.io'], { ca: env.ca })
  t.teardown(() => ws.terminate())
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  t.equal(ws.protocol, 'v5.channel.k8s.io')
  t.same(protocolsSeen.split(',').map((s) => s.trim()), ['v4.channel.k8s.io', 'v5.channel.k8s.io'], 'every subprotocol reaches the shard')
  const reply = new Promise<string>((resolve) => ws.once("message", (m) => resolve((m as Buffer).toString())))
  ws.send('hello')
  t.equal(await reply, 'echo:hello')
  const bin = new Promise<Buffer>((resolve) => ws.once('message', (m) => resolve(m as Buffer)))
  ws.send(Buffer.from([0, 1, 2, 255]))
  t.same([...(await bin)], [0, 1, 2, 255])
})

t.test('upgrade errors are Status answers on the raw socket: unknown workspace 403, shard down 502, bad credentials 401', async (t) => {
  const root = await startBackend(t)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, 'https://127.0.0.1:1') })
  const nope = await rawUpgrade(env.proxy.url, env.ca, '/clusters/root:nope/api/v1/x')
  nope.socket.destroy()
  t.match(nope.head, /^HTTP\/1\.1 403 Forbidden\r\n/)
  const down = await rawUpgrade(env.proxy.url, env.ca, '/clusters/root:org/api/v1/x')
  down.socket.destroy()
  t.match(down.head, /^HTTP\/1\.1 502 BadGateway\r\n/)
  const env2 = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), authentication: { authenticate: async () => ({ kind: 'unauthorized', reason: 'x' }) } })
  const unauth = await rawUpgrade(env2.proxy.url, env2.ca, '/clusters/root/api/v1/x')
  unauth.socket.destroy()
  t.match(unauth.head, /^HTTP\/1\.1 401 Unauthorized\r\n/)
})
