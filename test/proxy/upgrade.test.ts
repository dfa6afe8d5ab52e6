// Upgrades are tunnelled, never terminated: a WebSocket session (ws) and a SPDY-style raw
// 101 go through with the same routing, authentication and identity stamping as requests.
import t from 'tap'
import { connect as tlsConnect } from 'node:tls'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import type { AuthDecision } from '../../src/auth/types.js'
import { startBackend, startProxy, twoShardIndex } from './fixtures/env.js'
import { eventually } from '../fixtures/eventually.js'

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
  t.match(down.head, /^HTTP\/1\.1 502 Bad Gateway\r\n/)
  const env2 = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url), authentication: { authenticate: async () => ({ kind: 'unauthorized', reason: 'x' }) } })
  const unauth = await rawUpgrade(env2.proxy.url, env2.ca, '/clusters/root/api/v1/x')
  unauth.socket.destroy()
  t.match(unauth.head, /^HTTP\/1\.1 401 Unauthorized\r\n/)
})

t.test('bytes the client sends before the shard answered 101 reach the shard only after it did', async (t) => {
  const root = await startBackend(t)
  const order: string[] = []
  root.server.on('upgrade', (_req: IncomingMessage, socket: Duplex, head: Buffer) => {
    order.push(`head:${head.toString()}`)
    socket.on('data', (c: Buffer) => order.push(`data:${c.toString()}`))
    // Answer late: anything the proxy forwarded early would arrive before this.
    setTimeout(() => {
      order.push('101')
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n')
    }, 150)
  })
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const u = new URL(env.proxy.url)
  const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca: env.ca, ALPNProtocols: ['http/1.1'] })
  t.teardown(() => s.destroy())
  await new Promise((r) => s.once('secureConnect', r))
  s.write('POST /clusters/root:org/api/v1/namespaces/d/pods/p/exec HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\nearly-bytes')
  await new Promise<void>((resolve) => s.once('data', () => resolve()))
  await eventually('the early bytes at the shard', () => order.some((o) => o.includes('early-bytes')))
  const firstBytes = order.findIndex((o) => o.includes('early-bytes'))
  t.ok(firstBytes > order.indexOf('101'), `the shard saw the 101 before the client's bytes: ${order.join(' | ')}`)
  t.equal(order[0], 'head:', 'the request head reached the shard with no client bytes behind it')
})

t.test('a 101 for another protocol than the client asked for is refused (502) and the tunnel never opens', async (t) => {
  const root = await startBackend(t)
  let shardGotBytes = false
  root.server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('data', () => (shardGotBytes = true))
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n')
  })
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const r = await rawUpgrade(env.proxy.url, env.ca, '/clusters/root:org/api/v1/x')
  t.teardown(() => r.socket.destroy())
  t.match(r.head, /^HTTP\/1\.1 502 Bad Gateway\r\n/)
  t.match(r.head, /"reason":"BadGateway"/)
  r.socket.write('GET /clusters/root/api HTTP/1.1\r\nHost: x\r\n\r\n')
  await eventually('the proxy to close the client connection', () => r.socket.destroyed || !r.socket.readable)
  t.notOk(shardGotBytes, 'nothing the client sent reached the shard')
})

t.test('each upgrade gets its own shard connection, never reused; refusals are counted and logged like requests', async (t) => {
  const root = await startBackend(t)
  root.server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope')
  })
  const before = root.sockets.size
  let opened = 0
  root.server.on('secureConnection', () => opened++)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  for (let i = 0; i < 3; i++) {
    const r = await rawUpgrade(env.proxy.url, env.ca, '/clusters/root:org/api/v1/x')
    r.socket.destroy()
    t.match(r.head, /^HTTP\/1\.1 400 Bad Request\r\n/, 'the shard\'s refusal is relayed')
    t.match(r.head, /\r\nconnection: close\r\n/i, 'with Connection: close')
  }
  t.equal(opened, 3, `three upgrades, three shard connections (had ${before})`)
  await eventually('three log lines', () => env.logs.lines().filter((l) => l.msg === 'request' && l.upgrade === 'SPDY/3.1').length === 3)
  const lines = env.logs.lines().filter((l) => l.msg === 'request' && l.upgrade === 'SPDY/3.1')
  t.same(lines.map((l) => l.status), [400, 400, 400])
  t.same(lines.map((l) => l.shard), ['alpha', 'alpha', 'alpha'])
  t.match(await env.proxy.registry.metrics(), /proxy_request_duration_seconds_count\{method="post",code="400"\} 3/)
})
