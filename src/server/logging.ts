// The one pino logger. Credentials never reach a log line: request headers are never
// logged by the pipeline, and as defence in depth every path where a header object could
// end up is redacted. `-v` (klog verbosity) maps to pino levels.
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino'

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

export function createLogger(o: { v?: number; stream?: NodeJS.WritableStream | DestinationStream; level?: LevelWithSilent }): Logger {
  return pino(
    {
      name: 'kcp-front-proxy',
      level: o.level ?? levelForVerbosity(o.v ?? 2),
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      base: undefined,
    },
    o.stream ?? pino.destination({ dest: 1, sync: false }),
  )
}
