// Streaming: watch events are flushed one by one, a client that leaves cancels the
// upstream request, and a backend that breaks mid-stream breaks the client stream.
import t from 'tap'
import { request } from 'node:https'
import { connect } from 'node:http2'
import type { ServerResponse } from 'node:http'
import { startBackend, startProxy, twoShardIndex } from './fixtures/env.js'
import { eventually } from '../fixtures/eventually.js'

/** Makes the backend answer every request with watch headers and keep the response open for the test to write. */
function holdWatchResponse(backend: Awaited<ReturnType<typeof startBackend>>): { res: ServerResponse | undefined } {
  const held: { res: ServerResponse | undefined } = { res: undefined }
  backend.handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.flushHeaders()
    held.res = res
  }
  return held
}

t.test('each watch event reaches an HTTP/1.1 client before the shard sends the next one', async (t) => {
  const root = await startBackend(t)
  const held = holdWatchResponse(root)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const received: string[] = []
  const req = request(`${env.proxy.url}/clusters/root/api/v1/configmaps?watch=true`, { ca: env.ca, agent: false })
  t.teardown(() => req.destroy())
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    req.on('response', resolve)
    req.on('error', reject)
    req.end()
  })
  t.equal(res.statusCode, 200, 'headers arrive before any event')
  res.setEncoding('utf8')
  res.on('data', (c: string) => received.push(c))
  await eventually('upstream', () => held.res !== undefined)
  t.match(await env.proxy.registry.metrics(), /kcp_front_proxy_active_watches 1/)
  for (let i = 0; i < 3; i++) {
    held.res!.write(`{"type":"ADDED","n":${i}}\n`)
    await eventually(`event ${i}`, () => received.join('').includes(`"n":${i}`))
  }
  const ended = new Promise<void>((r) => res.on('end', () => r()))
  held.res!.end()
  await ended
  t.equal(received.join(''), '{"type":"ADDED","n":0}\n{"type":"ADDED","n":1}\n{"type":"ADDED","n":2}\n')
  await eventually('gauge back to 0', async () => /kcp_front_proxy_active_watches 0/.test(await env.proxy.registry.metrics()))
})

t.test('each watch event reaches an HTTP/2 client as it arrives', async (t) => {
  const root = await startBackend(t)
  const held = holdWatchResponse(root)
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const session = connect(env.proxy.url, { ca: env.ca })
  t.teardown(() => session.destroy())
  const stream = session.request({ ':path': '/clusters/root/api/v1/configmaps?watch=1' })
  let got = ''
  stream.setEncoding('utf8')
  stream.on('data', (c: string) => (got += c))
  await eventually('upstream', () => held.res !== undefined)
  held.res!.write('{"type":"ADDED"}\n')
  await eventually('first event', () => got === '{"type":"ADDED"}\n')
  held.res!.write('{"type":"MODIFIED"}\n')
  await eventually('second event', () => got.endsWith('{"type":"MODIFIED"}\n'))
  held.res!.end()
  t.pass('events flushed')
})

t.test('a client that disconnects mid-watch cancels the upstream request', async (t) => {
  const root = await startBackend(t)
  let upstreamClosed = false
  let opened = false
  root.handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"type":"ADDED"}\n')
    opened = true
    res.on('close', () => (upstreamClosed = true))
  }
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const req = request(`${env.proxy.url}/clusters/root/api/v1/configmaps?watch=true`, { ca: env.ca, agent: false })
  req.on('error', () => undefined)
  req.on('response', (res) => {
    res.on('error', () => undefined)
    res.once('data', () => req.destroy())
  })
  req.end()
  await eventually('upstream open', () => opened)
  await eventually('upstream closed after the client left', () => upstreamClosed)
  await eventually('active watch gauge back to 0', async () => /kcp_front_proxy_active_watches 0/.test(await env.proxy.registry.metrics()))
  const log = env.logs.lines().find((l) => l.msg === 'request')
  t.match(log, { aborted: true })
})

t.test('a backend that fails mid-stream breaks the client stream instead of ending it cleanly', async (t) => {
  const root = await startBackend(t)
  root.handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"type":"ADDED"}\n')
    setTimeout(() => res.socket?.destroy(), 50)
  }
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const outcome = await new Promise<string>((resolve) => {
    const req = request(`${env.proxy.url}/clusters/root/api/v1/configmaps?watch=true`, { ca: env.ca, agent: false }, (res) => {
      res.on('data', () => undefined)
      res.on('end', () => resolve('end'))
      res.on('error', () => resolve('error'))
      res.on('aborted', () => resolve('error'))
    })
    req.on('error', () => resolve('error'))
    req.end()
  })
  t.equal(outcome, 'error')
})
