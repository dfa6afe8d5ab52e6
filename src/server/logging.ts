// The one pino logger. Credentials never reach a log line: request headers are never
// logged by the pipeline, and as defence in depth every path where a header object could
// end up is redacted. `-v` (klog verbosity) maps to pino levels.
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino'
import type { RequestLogRecord } from '../proxy/accounting.js'
import { LogDestination } from './log-destination.js'

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  'token',
  '*.token',
  'password',
  'key',
]

/** klog -v → pino level: 0–1 warn, 2–3 info (per-request lines), 4–5 debug, ≥6 trace. */
export function levelForVerbosity(v: number): LevelWithSilent {
  if (v <= 1) return 'warn'
  if (v <= 3) return 'info'
  if (v <= 5) return 'debug'
  return 'trace'
}

/** Characters a log destination gathers before writing: one write per ~60 request lines instead of one each. */
export const LOG_BATCH_BYTES = 16 * 1024
/** Longest a gathered line waits before it is written anyway, unless --log-flush-frequency says otherwise. */
export const LOG_FLUSH_MS = 1000
/** Buffered characters beyond which new lines are dropped (and counted) rather than held. */
export const LOG_MAX_BUFFERED_BYTES = 16 * 1024 * 1024

/**
 * Where log lines go: a file descriptor (default stdout) or a file, written asynchronously in
 * batches (src/server/log-destination.ts). Writing each line on its own cost ~8 % of the
 * proxy's CPU at 3,000 requests/s.
 */
export function logDestination(dest: number | string = 1, o: { flushMs?: number } = {}): LogDestination {
  return new LogDestination(dest, { batchBytes: LOG_BATCH_BYTES, flushMs: o.flushMs ?? LOG_FLUSH_MS, maxBufferedBytes: LOG_MAX_BUFFERED_BYTES })
}

export const LOGGER_NAME = 'kcp-front-proxy'

/** Loggers made by createLogger(): their line format is known, so request lines may skip pino's generic path. */
const ownLoggers = new WeakSet<Logger>()

export function createLogger(o: { v?: number; stream?: NodeJS.WritableStream | DestinationStream; level?: LevelWithSilent }): Logger {
  const logger = pino(
    {
      name: LOGGER_NAME,
      level: o.level ?? levelForVerbosity(o.v ?? 2),
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      base: undefined,
    },
    o.stream ?? logDestination(1),
  )
  ownLoggers.add(logger)
  return logger
}

const INFO = 30
const NAME_JSON = JSON.stringify(LOGGER_NAME)

/**
 * A writer for request lines. For a createLogger() logger it formats the fixed record itself,
 * byte for byte the line pino would write: pino's generic path (redaction of every path in
 * REDACT_PATHS, serializer lookup, key iteration) cost ~9 µs per request, ~3 % of the
 * proxy's CPU per request; this costs ~1 µs. The record has no field redaction could match.
 * Any other logger (an embedder's, with its own formatters) gets logger.info() unchanged.
 */
export function requestLogWriter(logger: Logger): (r: RequestLogRecord) => void {
  if (!ownLoggers.has(logger)) return (r) => logger.info(r, 'request')
  const stream = (logger as unknown as Record<symbol, { write(line: string): unknown; writeBatched?(line: string): unknown }>)[pino.symbols.streamSym]
  // A LogDestination batches request lines; any other stream gets them as pino would write them.
  const write = stream.writeBatched !== undefined ? stream.writeBatched.bind(stream) : stream.write.bind(stream)
  return (r) => {
    if (logger.levelVal > INFO) return
    let line = `{"level":30,"time":${Date.now()},"name":${NAME_JSON},"method":${JSON.stringify(r.method)},"path":${JSON.stringify(r.path)},"shard":${JSON.stringify(r.shard)},"cluster":${JSON.stringify(r.cluster)},"status":${r.status},"bytes":${r.bytes},"ms":${r.ms},"user":${JSON.stringify(r.user)}`
    if (r.aborted !== undefined) line += `,"aborted":${r.aborted}`
    if (r.err !== undefined) line += `,"err":${JSON.stringify(r.err)}`
    if (r.upgrade !== undefined) line += `,"upgrade":${JSON.stringify(r.upgrade)}`
    write(line + ',"msg":"request"}\n')
  }
}
