// Baseline: the proxy one would write in ten minutes with fastify + @fastify/http-proxy.
// It forwards every path to one shard over mTLS and does nothing else: no workspace
// lookup, no identity headers, no metrics, no logging. Defaults kept on purpose
// (reply-from's undici pool: 128 connections per origin), except the TLS material.
// Run as a benchmark child (bench/lib/child.ts):
//   naive-fastify.ts --upstream https://127.0.0.1:port --ca ca.crt --cert proxy-client.crt
//     --key proxy-client.key --serving-cert tls.crt --serving-key tls.key
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'
import httpProxy from '@fastify/http-proxy'
import { serveChild, childArg } from '../lib/child-side.js'

serveChild<{ url: string }>(async () => {
  const read = (name: string): string => readFileSync(childArg(name), 'utf8')
  const app = Fastify({ logger: false, https: { cert: read('serving-cert'), key: read('serving-key') } })
  await app.register(httpProxy, {
    upstream: childArg('upstream'),
    undici: { connect: { ca: read('ca'), cert: read('cert'), key: read('key') } },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const addr = app.server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address')
  return { info: { url: `https://127.0.0.1:${addr.port}` }, close: () => app.close() }
})
