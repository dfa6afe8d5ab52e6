// One --workers worker: the front-proxy server as a single process runs it (its own TLS
// contexts, mapping-file and certificate reloads, authentication caches), on the port the
// cluster shares, with a copy of the primary's index instead of shard watches, log lines
// written by the primary, and /metrics answering the aggregate of every process.
import cluster from 'node:cluster'
import type { CompletedOptions } from '../config/types.js'
import { buildFrontProxy, type FrontProxy } from '../server/index.js'
import { createLogger, LOG_BATCH_BYTES, LOG_MAX_BUFFERED_BYTES } from '../server/logging.js'
import { IndexCopy } from './index-copy.js'
import { IpcLogDestination } from './log-relay.js'
import { isMessage, type ToPrimary, type ToWorker } from './messages.js'
import { ClusterRegistry } from './metrics-aggregate.js'

const METRICS_TIMEOUT_MS = 10_000

function send(m: ToPrimary, done: (err: Error | null) => void = () => undefined): void {
  if (process.send === undefined || !process.connected) {
    done(new Error('no channel to the primary'))
    return
  }
  process.send(m, undefined, {}, done)
}

export async function runWorker(options: CompletedOptions, flushMs: number): Promise<void> {
  const id = cluster.worker?.id ?? 0
  const logs = new IpcLogDestination(send, { batchBytes: LOG_BATCH_BYTES, flushMs, maxBufferedBytes: LOG_MAX_BUFFERED_BYTES })
  const logger = createLogger({ v: options.logging.v, stream: logs, bindings: { worker: id } })
  const exit = (code: number): void => logs.end(() => process.exit(code))

  // /metrics: the primary aggregates; requests are matched to answers by id.
  let nextId = 0
  const asked = new Map<number, { resolve: (s: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>()
  const registry = new ClusterRegistry(
    () =>
      new Promise<string>((resolve, reject) => {
        const rid = ++nextId
        const timer = setTimeout(() => {
          asked.delete(rid)
          reject(new Error('the primary process did not answer with the aggregated metrics'))
        }, METRICS_TIMEOUT_MS)
        asked.set(rid, { resolve, reject, timer })
        send({ t: 'metrics-request', id: rid }, (err) => {
          if (err === null) return
          clearTimeout(timer)
          asked.delete(rid)
          reject(err)
        })
      }),
  )
  const copy = new IndexCopy({ withAuthIndex: options.extra.featureGates.WorkspaceAuthentication === true, hello: () => send({ t: 'hello' }) })

  let proxy: FrontProxy | undefined
  let stopping = false
  const shutdown = (graceful: boolean): void => {
    if (stopping) return
    stopping = true
    const done = proxy === undefined ? Promise.resolve() : graceful ? proxy.shutdown() : proxy.close()
    done.then(
      () => exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed')
        exit(1)
      },
    )
  }
  process.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m) || copy.receive(m)) return
    if (m.t === 'metrics-collect') {
      registry.getMetricsAsJSON().then(
        (metrics) => send({ t: 'metrics-json', id: m.id, metrics }),
        (e: unknown) => logger.warn({ err: e }, 'collecting metrics failed'),
      )
    } else if (m.t === 'metrics-text') {
      const a = asked.get(m.id)
      if (a === undefined) return
      asked.delete(m.id)
      clearTimeout(a.timer)
      if (m.text !== undefined) a.resolve(m.text)
      else a.reject(new Error(m.error ?? 'aggregating metrics failed'))
    } else if (m.t === 'shutdown') {
      shutdown(true)
    }
  })
  // Signals are the primary's to handle (it drains every worker, then stops the watches); a
  // terminal's Ctrl-C reaches the whole process group, so a worker must not act on it alone.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => undefined)
  // The primary is gone (killed): nothing feeds the index any more; stop at once.
  process.on('disconnect', () => {
    logger.error('the primary process is gone; stopping')
    shutdown(false)
  })

  try {
    proxy = await buildFrontProxy(options, logger, { given: { registry, index: copy.index, authIndex: copy.authIndex, controller: copy } })
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    send({ t: 'failed', message }, () => exit(1))
    return
  }
  send({ t: 'listening', url: proxy.url })
}
