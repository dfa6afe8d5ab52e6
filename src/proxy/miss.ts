// What a user reads when a workspace path does not resolve: who the proxy thinks they are and
// why it has no route, after upstream's unchanged 403 text (errors.ts workspaceForbidden).
import type { Miss } from '../index/types.js'

/**
 * `notIndexed`: shards whose watches have not synced yet; while any has not, a workspace the
 * proxy does not know may simply not be indexed yet, and the user is told so.
 */
export function describeMiss(m: Miss, notIndexed: readonly string[]): string {
  switch (m.reason) {
    case 'invalid':
      return `${JSON.stringify(m.at)} is not a valid workspace path`
    case 'deleted':
      return `workspace ${JSON.stringify(m.at)} was deleted`
    case 'no-shard-url':
      return `the shard holding workspace ${JSON.stringify(m.at)} has no URL the front-proxy knows yet`
    case 'unknown':
      if (notIndexed.length > 0) return `workspace ${JSON.stringify(m.at)} is not known to the front-proxy, which has not finished indexing shard ${notIndexed.join(', ')}; try again shortly`
      return `workspace ${JSON.stringify(m.at)} does not exist`
  }
}
