// Serving without a restart while certificates rotate: the serving certificate's files are
// followed by the reloadable-file primitive (src/files/reloadable.ts; cert-manager and kubelet
// projected volumes replace them), and the client CAs announce their own changes (src/auth).
// Either change rebuilds the contexts and hands the default one to the listening server.
import type { SecureContextOptions } from 'node:tls'
import type { Logger } from 'pino'
import { ReloadableFile, type WatchFn } from '../files/reloadable.js'
import type { KeyPair } from '../pki/index.js'
import { checkPair, type ServingCert } from './tls.js'
import type { ServingContexts } from './tls-contexts.js'

/** How the files are followed; defaults in src/files/reloadable.ts (tests shorten the poll, inject a watcher). */
export interface ReloadTuning {
  watch?: WatchFn
  pollMs?: number
  debounceMs?: number
}

export interface ServingCertWatch extends ReloadTuning {
  /** Certificate file, then key file. */
  files: readonly string[]
  /** The pair served now (read from `files` at startup). */
  current: KeyPair
  logger: Logger
  onChange: (pair: KeyPair) => void
}

/**
 * Calls `onChange` with the re-read pair each time it changed and parses again (a half-written
 * rotation is skipped until the next change). Returns the stop function.
 */
export function watchServingCert(o: ServingCertWatch): () => void {
  if (o.files.length !== 2) return () => undefined
  const certFile = o.files[0]
  const source = new ReloadableFile<KeyPair>({
    files: o.files,
    initial: { value: o.current, contents: [o.current.cert, o.current.key] },
    parse: ([cert, key]) => checkPair(cert, key),
    onChange: (pair) => {
      o.logger.info({ certFile }, 'serving certificate reloaded')
      o.onChange(pair)
    },
    onProblem: (p) => {
      if (p.kind === 'watch-failed') o.logger.warn({ err: p.error, dir: p.dir }, 'cannot watch the serving certificate directory; polling for changes')
      else o.logger.warn({ err: p.error, certFile }, 'serving certificate change not (yet) loadable; keeping the current one')
    },
    ...tuning(o),
  })
  return () => source.close()
}

export interface TLSReloadOptions {
  serving: ServingCert
  contexts: ServingContexts
  /** The listening TLS server. */
  server: { setSecureContext(o: SecureContextOptions): void }
  onClientCAsChange?: (cb: () => void) => void
  logger: Logger
  tuning?: ReloadTuning
}

/** Applies serving-certificate and client-CA changes to the server; returns the stop function. */
export function startTLSReload(o: TLSReloadOptions): () => void {
  const { serving, contexts, server, logger } = o
  const apply = (): void => {
    try {
      server.setSecureContext(contexts.rebuild())
    } catch (e) {
      logger.error({ err: e }, 'cannot apply the new TLS settings; keeping the current ones')
    }
  }
  // A generated certificate is ours: nobody rotates it on disk.
  const stop =
    serving.source === 'generated'
      ? () => undefined
      : watchServingCert({
          files: serving.files,
          current: { cert: serving.cert, key: serving.key },
          logger,
          onChange: (pair) => {
            contexts.setPair(pair)
            apply()
          },
          ...o.tuning,
        })
  o.onClientCAsChange?.(apply)
  return stop
}

function tuning(t: ReloadTuning): ReloadTuning {
  return {
    ...(t.watch !== undefined ? { watch: t.watch } : {}),
    ...(t.pollMs !== undefined ? { pollMs: t.pollMs } : {}),
    ...(t.debounceMs !== undefined ? { debounceMs: t.debounceMs } : {}),
  }
}
