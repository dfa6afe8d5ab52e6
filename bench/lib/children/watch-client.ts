// Child process: holds many watch streams open against one URL with as little client
// memory as possible (raw TLS sockets speaking HTTP/1.1, or HTTP/2 streams), and counts
// what happens to them. Commands: open {count, concurrency}, status, closeAll.
//   watch-client.ts --url https://host:port/clusters/x/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=N
//     --ca ca.crt --token t [--h2 true] [--marker watch-ping]
import { readFileSync } from 'node:fs'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { connect as h2Connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2'
import { serveChild, childArg } from '../child-side.js'

export interface WatchClientStatus {
  /** Streams that got a 200 and are still open. */
  open: number
  /** Streams that ended or errored while we held them (should stay 0). */
  broken: number
  /** Requests answered with something other than 200, or that failed to connect. */
  failed: number
  /** Open streams that have seen the marker string (an event we triggered) at least once. */
  sawMarker: number
  firstError?: string
}

serveChild(async () => {
  const url = new URL(childArg('url'))
  const ca = readFileSync(childArg('ca'), 'utf8')
  const token = childArg('token')
  const marker = childArg('marker', 'watch-ping')
  const useH2 = childArg('h2', 'false') === 'true'
  const path = url.pathname + url.search
  const st: WatchClientStatus = { open: 0, broken: 0, failed: 0, sawMarker: 0 }
  const live = new Set<{ close(): void }>()
  let closing = false
  const fail = (why: string): void => { st.failed++; st.firstError ??= why }

  // One watch = one object with a closing flag, a 'seen' flag and a short carry-over
  // buffer so a marker split across two chunks is still found.
  const track = (close: () => void): { onData(b: Buffer): void; onOk(): void; onEnd(err?: string): void } => {
    let ok = false, seen = false, ended = false, tail = ''
    const w = { close }
    return {
      onOk() { ok = true; st.open++; live.add(w) },
      onData(b) {
        if (seen || !ok) return
        const s = tail + b.toString('latin1')
        if (s.includes(marker)) { seen = true; st.sawMarker++ } else tail = s.slice(-marker.length)
      },
      onEnd(err) {
        if (ended) return
        ended = true
        live.delete(w)
        if (ok) { st.open--; if (seen) st.sawMarker--; if (!closing) { st.broken++; st.firstError ??= err ?? 'stream ended' } }
        else if (!closing) fail(err ?? 'closed before response')
      },
    }
  }

  const openH1 = (): Promise<void> => new Promise((resolve) => {
    const sock: TLSSocket = tlsConnect({ host: url.hostname, port: Number(url.port), ca, servername: 'localhost' })
    const t = track(() => sock.destroy())
    let head = ''
    sock.once('secureConnect', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nAccept: application/json\r\nUser-Agent: bench-watch-client\r\n\r\n`)
    })
    const onHead = (b: Buffer): void => {
      head += b.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) { if (head.length > 16384) { sock.destroy(); } return }
      sock.off('data', onHead)
      if (head.startsWith('HTTP/1.1 200')) { t.onOk(); t.onData(Buffer.from(head.slice(end + 4), 'latin1')); sock.on('data', (d: Buffer) => t.onData(d)) }
      else { fail(head.split('\r\n')[0]); sock.destroy() }
      resolve()
    }
    sock.on('data', onHead)
    sock.on('error', (e) => { t.onEnd(e.message); resolve() })
    sock.on('close', () => { t.onEnd('socket closed'); resolve() })
    sock.setNoDelay(true)
  })

  // HTTP/2: fill each session up to the server's concurrent-stream limit, then open another.
  const sessions: ClientHttp2Session[] = []
  let current: { s: ClientHttp2Session; used: number } | undefined
  // Concurrent openers share one connecting session; otherwise every worker that finds the
  // current session full opens its own, and the proxy holds ~concurrency sessions per 100 watches.
  let connecting: Promise<void> | undefined
  const session = async (): Promise<ClientHttp2Session> => {
    for (;;) {
      const limit = current?.s.remoteSettings.maxConcurrentStreams ?? 100
      if (current && current.used < Math.min(limit, 1000) && !current.s.destroyed) { current.used++; return current.s }
      if (connecting === undefined) {
        const s = h2Connect(url.origin, { ca, servername: 'localhost' })
        s.on('error', (e) => { st.firstError ??= `h2 session: ${e.message}` })
        connecting = new Promise<void>((resolve, reject) => { s.once('remoteSettings', () => resolve()); s.once('error', reject) })
          .then(() => { sessions.push(s); current = { s, used: 0 } })
          .finally(() => { connecting = undefined })
      }
      await connecting
    }
  }
  const openH2 = async (): Promise<void> => {
    let s: ClientHttp2Session
    try { s = await session() } catch (e) { fail((e as Error).message); return }
    await new Promise<void>((resolve) => {
      const req: ClientHttp2Stream = s.request({ ':path': path, authorization: `Bearer ${token}`, accept: 'application/json' }, { endStream: true })
      const t = track(() => req.close())
      req.on('response', (h) => {
        if (h[':status'] === 200) t.onOk(); else { fail(`HTTP ${String(h[':status'])}`); req.close() }
        resolve()
      })
      req.on('data', (d: Buffer) => t.onData(d))
      req.on('error', (e) => { t.onEnd(e.message); resolve() })
      req.on('close', () => { t.onEnd('stream closed'); resolve() })
    })
  }

  return {
    info: { pid: process.pid },
    handlers: {
      /** Opens `count` watches, `concurrency` handshakes at a time; resolves when all got an answer. */
      open: async (a) => {
        const count = Number(a.count), concurrency = Number(a.concurrency ?? 64)
        let next = 0
        const worker = async (): Promise<void> => { while (next < count) { next++; await (useH2 ? openH2() : openH1()) } }
        await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
        return st
      },
      status: () => st,
      closeAll: () => {
        closing = true
        for (const w of live) w.close()
        for (const s of sessions) s.destroy()
        return st
      },
    },
    close: () => { closing = true; for (const w of live) w.close(); for (const s of sessions) s.destroy() },
  }
})
