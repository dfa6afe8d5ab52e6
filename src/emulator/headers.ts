// Request headers as a shard reads them: every header line its own value, as Go's http.Header keeps
// them. Impersonate-Group, Impersonate-Extra-* and X-Remote-Group carry one group (or extra value) per
// line, and a comma inside a line belongs to that value; a joined `req.headers` string loses the
// difference, so identities are always read from these lists.
import type { IncomingMessage } from 'node:http'

export type DistinctHeaders = Record<string, string[]>

/** `rawHeaders` (name, value, name, value, …) grouped by lowercased name; HTTP/2 pseudo-headers are skipped. */
export function distinctFromRaw(raw: readonly string[]): DistinctHeaders {
  const out: DistinctHeaders = Object.create(null) as DistinctHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    if (name.startsWith(':')) continue
    const values = out[name]
    if (values === undefined) out[name] = [raw[i + 1]]
    else values.push(raw[i + 1])
  }
  return out
}

/**
 * Gives an HTTP/2 compatibility request the `headersDistinct` node:http requests have, built from the
 * header lines as received (its `headers` object already joined repeats with ", ").
 */
export function ensureHeadersDistinct(req: IncomingMessage): void {
  if ((req as Partial<IncomingMessage>).headersDistinct !== undefined) return
  Object.defineProperty(req, 'headersDistinct', { value: distinctFromRaw(req.rawHeaders), configurable: true })
}
