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
/** --log-flush-frequency in ms; 0 or less keeps the default. */
export function logFlushMs(seconds: number): number {
  return seconds > 0 ? seconds * 1000 : LOG_FLUSH_MS
}

export function logDestination(dest: number | string = 1, o: { flushMs?: number } = {}): LogDestination {
  return new LogDestination(dest, { batchBytes: LOG_BATCH_BYTES, flushMs: o.flushMs ?? LOG_FLUSH_MS, maxBufferedBytes: LOG_MAX_BUFFERED_BYTES })
}

export const LOGGER_NAME = 'kcp-front-proxy'

/** Loggers made by createLogger(): their line format is known, so request lines may skip pino's generic path. */
const ownLoggers = new WeakSet<Logger>()

/** Loggers made with format 'text', and the stream their lines go to. */
const textLoggers = new WeakMap<Logger, { write(line: string): unknown }>()

export interface LoggerOptions {
  v?: number
  stream?: NodeJS.WritableStream | DestinationStream
  level?: LevelWithSilent
  /**
   * json (default, and the only format the CLI offers: --logging-format): one JSON object
   * per line. text: lines for a person at a terminal — the demo's, where a newcomer watches
   * requests being routed — with request lines as formatRequestText() writes them.
   */
  format?: 'json' | 'text'
  /** Fields every line carries, before `name` (the worker id when --workers runs several processes). */
  bindings?: Record<string, string | number>
}

export function createLogger(o: LoggerOptions): Logger {
  const out = o.stream ?? logDestination(1)
  const text = o.format === 'text' ? textLines(out) : undefined
  const logger = pino(
    {
      name: LOGGER_NAME,
      level: o.level ?? levelForVerbosity(o.v ?? 2),
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      base: o.bindings,
    },
    text ?? out,
  )
  ownLoggers.add(logger)
  if (text !== undefined) textLoggers.set(logger, out)
  return logger
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
const clock = (ms: number): string => new Date(ms).toTimeString().slice(0, 8)

/** A pino destination that rewrites each JSON line as `time LEVEL message key=value …`. */
function textLines(out: { write(line: string): unknown }): { write(line: string): void } {
  return {
    write(line: string): void {
      let rec: Record<string, unknown>
      try {
        rec = JSON.parse(line) as Record<string, unknown>
      } catch {
        out.write(line) // not pino's: pass it on as it is
        return
      }
      const { level, time, name: _name, msg, err, ...rest } = rec
      let text = `${clock(typeof time === 'number' ? time : Date.now())} ${LEVEL_NAMES[level as number] ?? String(level)} ${typeof msg === 'string' ? msg : ''}`
      for (const [k, v] of Object.entries(rest)) text += ` ${k}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`
      if (err !== undefined) text += ` err=${JSON.stringify(typeof err === 'object' && err !== null && 'message' in err ? err.message : err)}`
      out.write(`${text}\n`)
    },
  }
}

/**
 * One request for a person to read: time, method, path, the workspace and where the proxy
 * sent it (shard/logical cluster, or `no shard` when the workspace did not resolve), status,
 * duration and user. For example
 * `14:02:11 GET /clusters/root:org/api/v1/namespaces  root:org → alpha/2abc  200  3.1 ms  admin`.
 * A path outside any workspace (`/version` through the `/` mapping) has no arrow.
 */
export function formatRequestText(r: RequestLogRecord, now = Date.now()): string {
  const at = r.path.indexOf('/clusters/')
  const workspace = at < 0 ? '' : r.path.slice(at + '/clusters/'.length).split('/')[0]
  const target = r.shard !== '' ? `${r.shard}${r.cluster !== '' ? `/${r.cluster}` : ''}` : 'no shard'
  let line = `${clock(now)} ${r.method} ${r.path}  `
  if (workspace !== '') line += `${workspace} → ${target}  `
  else if (r.shard !== '') line += `→ ${target}  `
  line += `${r.status}  ${r.ms.toFixed(1)} ms`
  if (r.user !== '') line += `  ${r.user}`
  if (r.upgrade !== undefined) line += `  (upgrade: ${r.upgrade})`
  if (r.aborted === true) line += '  (aborted by the client)'
  if (r.err !== undefined) line += `  error: ${r.err}`
  return `${line}\n`
}

const INFO = 30

/**
 * A writer for request lines. For a createLogger() logger it formats the fixed record itself,
 * byte for byte the line pino would write: pino's generic path (redaction of every path in
 * REDACT_PATHS, serializer lookup, key iteration) cost ~9 µs per request, ~3 % of the
 * proxy's CPU per request; this costs ~1 µs. The record has no field redaction could match.
 * A format 'text' logger (the demo's) gets formatRequestText() lines instead. Any other
 * logger (an embedder's, with its own formatters) gets logger.info() unchanged.
 */
export function requestLogWriter(logger: Logger): (r: RequestLogRecord) => void {
  if (!ownLoggers.has(logger)) return (r) => logger.info(r, 'request')
  const text = textLoggers.get(logger)
  if (text !== undefined) {
    return (r) => {
      if (logger.levelVal <= INFO) text.write(formatRequestText(r))
    }
  }
  const stream = (logger as unknown as Record<symbol, { write(line: string): unknown; writeBatched?(line: string): unknown }>)[pino.symbols.streamSym]
  // A LogDestination batches request lines; any other stream gets them as pino would write them.
  const write = stream.writeBatched !== undefined ? stream.writeBatched.bind(stream) : stream.write.bind(stream)
  // pino's serialised bindings: `,"name":"kcp-front-proxy"`, after createLogger's bindings if any.
  const chindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym]
  return (r) => {
    if (logger.levelVal > INFO) return
    let line = `{"level":30,"time":${Date.now()}${chindings},"method":${JSON.stringify(r.method)},"path":${JSON.stringify(r.path)},"shard":${JSON.stringify(r.shard)},"cluster":${JSON.stringify(r.cluster)},"status":${r.status},"bytes":${r.bytes},"ms":${r.ms},"user":${JSON.stringify(r.user)}`
    if (r.aborted !== undefined) line += `,"aborted":${r.aborted}`
    if (r.err !== undefined) line += `,"err":${JSON.stringify(r.err)}`
    if (r.upgrade !== undefined) line += `,"upgrade":${JSON.stringify(r.upgrade)}`
    write(line + ',"msg":"request"}\n')
  }
}
