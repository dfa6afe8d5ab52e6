// Which directory-watch events concern a file. Reloadable files (serving certificate, CA
// bundles, the mapping file) are watched through their directory, because Kubernetes swaps a
// mounted Secret or ConfigMap by replacing the `..data` symlink, not the file. An event for an
// unrelated file in the same directory (a log file, an editor's swap file) must not cost a
// re-read and re-parse each time.
import { watch, type FSWatcher } from 'node:fs'

/** Names of `files` whose directory events should trigger a check. */
export function watchedNames(files: readonly string[]): Set<string> {
  return new Set(files.map((f) => f.slice(f.lastIndexOf('/') + 1)))
}

/**
 * True when an fs.watch event may concern one of `names`: the file itself, a Kubernetes
 * atomic-writer entry (`..data`, `..2026_11_24_…`), or an event without a file name (some
 * platforms report none; then we cannot tell and must check).
 */
export function concernsWatched(filename: string | Buffer | null | undefined, names: ReadonlySet<string>): boolean {
  if (filename === null || filename === undefined) return true
  const name = typeof filename === 'string' ? filename : filename.toString('utf8')
  return name === '' || names.has(name) || name.startsWith('..')
}

/**
 * Watches `dir` (without keeping the process alive) and calls `onChange` for the events that may
 * concern `files`. Throws like fs.watch; the caller decides how to report watcher errors.
 */
export function watchFilesIn(dir: string, files: readonly string[], onChange: () => void): FSWatcher {
  const names = watchedNames(files)
  return watch(dir, { persistent: false }, (_event, filename) => {
    if (concernsWatched(filename, names)) onChange()
  })
}
