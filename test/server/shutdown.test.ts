// Graceful shutdown: readiness fails first while new connections are still served, then
// the listener closes, watches end cleanly, in-flight requests drain (bounded), and the
// shutdown resolves.
import t from 'tap'
import { request } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startBackend, startProxy, twoShardIndex } from '../proxy/fixtures/env.js'
import { h1 } from '../proxy/fixtures/client.js'
import { eventually } from '../fixtures/eventually.js'

t.test('shutdown: readiness fails during the delay, watches end cleanly, the in-flight request completes, then the port closes', async (t) => {
  const root = await startBackend(t)
  let slow: ServerResponse | undefined
  let watchUpstreamClosed = false
  root.handler = (req, res) => {
    if (req.url?.includes('watch=true')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"type":"ADDED"}\n')
      res.on('close', () => (watchUpstreamClosed = true))
      return
    }
    if (req.url?.includes('/slow')) {
      res.writeHead(200, { 'content-type': 'text/plain' })
      slow = res
      return
    }
    res.end('fast')
  }
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const url = env.proxy.url

  let watchOutcome = ''
  let watchBody = ''
  const watchReq = request(`${url}/clusters/root/api/v1/configmaps?watch=true`, { ca: env.ca, agent: false }, (res: IncomingMessage) => {
    res.setEncoding('utf8')
    res.on('data', (c: string) => (watchBody += c))
    res.on('end', () => (watchOutcome ||= 'end'))
    res.on('error', () => (watchOutcome ||= 'error'))
  })
  watchReq.on('error', () => (watchOutcome ||= 'error'))
  watchReq.end()
  await eventually('watch open', () => watchBody !== '')
  const slowAnswer = h1(`${url}/clusters/root/slow`, env.ca)
  await eventually('slow request at the backend', () => slow !== undefined)

  // Generous: two TLS requests must finish inside the delay even on a loaded machine.
  const done = env.proxy.shutdown({ delayMs: 5000, timeoutMs: 20_000 })
  let finished = false
  void done.then(() => (finished = true))
  const ready = await h1(`${url}/readyz`, env.ca)
  t.equal(watchOutcome, '', 'the watch is still open during the delay')
  t.equal(ready.status, 500, 'readiness fails first')
  t.match(ready.body, /\[-\]shutdown failed: reason withheld\nreadyz check failed\n/)
  t.equal((await h1(`${url}/clusters/root/fast`, env.ca)).body, 'fast', 'new connections are still served during the delay')

  await eventually('watch ended', () => watchOutcome !== '')
  t.equal(watchOutcome, 'end', 'the watch ended cleanly, so the client re-watches elsewhere')
  await eventually('upstream watch closed', () => watchUpstreamClosed)
  t.equal(finished, false, 'shutdown waits for the in-flight request')
  slow!.end('slow-done')
  t.equal((await slowAnswer).body, 'slow-done')
  await done
  await t.rejects(h1(`${url}/readyz`, env.ca), { code: 'ECONNREFUSED' }, 'the port is closed afterwards')
})

t.test('shutdown: a request that does not finish within the timeout is cut', async (t) => {
  const root = await startBackend(t)
  root.handler = (_req, res) => {
    res.writeHead(200)
    res.write('partial')
  }
  const env = await startProxy(t, { entries: [{ path: '/clusters/', backend: root.url }], index: twoShardIndex(root.url, root.url) })
  const stuck = h1(`${env.proxy.url}/clusters/root/stuck`, env.ca).then(() => 'completed', () => 'cut')
  await eventually('request at backend', () => root.seen.length === 1)
  const start = Date.now()
  await env.proxy.shutdown({ delayMs: 0, timeoutMs: 300 })
  t.ok(Date.now() - start < 3000, 'shutdown is bounded by the timeout')
  t.equal(await stuck, 'cut')
})
