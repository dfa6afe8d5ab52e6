#!/usr/bin/env node
// The kcp-front-proxy command: upstream-compatible flags (src/config), or — with no flags
// at all — the demo (src/demo.ts). Exit codes: 0 ok/help/version, 1 startup failure,
// 2 bad flags or options (every problem printed, like upstream's aggregated errors).

import { readFileSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { completeOptions, formatHelp, parseArgs, validateOptions } from './config/index.js'

export interface CliIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

export const PROGRAM = 'kcp-front-proxy'

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }
    return `v${pkg.version ?? '0.0.0'}`
  } catch {
    return 'v0.0.0-unknown'
  }
}

function versionText(raw: boolean): string {
  const info = { gitVersion: packageVersion(), nodeVersion: process.version, platform: `${process.platform}/${process.arch}` }
  return raw ? `${JSON.stringify(info)}\n` : `${PROGRAM} ${info.gitVersion} (node ${info.nodeVersion}, ${info.platform})\n`
}

/**
 * Parses and validates the command line. Returns an exit code when the process should
 * end (help, version, errors), or the options to run with.
 */
export function prepare(argv: readonly string[], io: CliIO): { exit: number } | { options: ReturnType<typeof completeOptions> } {
  const parsed = parseArgs(argv)
  if (parsed.help) { io.stdout.write(formatHelp(PROGRAM)); return { exit: 0 } }
  if (parsed.version && parsed.errors.length === 0) { io.stdout.write(versionText(parsed.versionRaw)); return { exit: 0 } }
  const report = (errors: string[]): { exit: number } => {
    for (const e of errors) io.stderr.write(`Error: ${e}\n`)
    io.stderr.write(`Run '${PROGRAM} --help' for usage.\n`)
    return { exit: 2 }
  }
  if (parsed.errors.length > 0) return report(parsed.errors)
  const options = completeOptions(parsed.input, 'cli')
  const errors = validateOptions(options)
  if (errors.length > 0) return report(errors)
  return { options }
}

export async function main(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number | 'running'> {
  if (argv.length === 0) {
    const { runDemo } = await import('./demo.js')
    await runDemo({ out: io.stdout })
    return 0
  }
  const prepared = prepare(argv, io)
  if ('exit' in prepared) return prepared.exit
  try {
    // --workers: several serving processes fed by one index controller (src/workers).
    const { runWorkers, workerCount } = await import('./workers/index.js')
    const workers = workerCount(prepared.options)
    if (workers > 1) {
      await runWorkers(prepared.options, workers)
      return 'running'
    }
    // Loaded lazily so --help, --version and flag errors do not pay for the server's imports.
    const { runFrontProxy } = await import('./server/index.js')
    await runFrontProxy(prepared.options)
    return 'running' // runFrontProxy owns the process from here (signals, exit code)
  } catch (e) {
    io.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`)
    return 1
  }
}

function isMainModule(): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isMainModule()) {
  main(process.argv.slice(2)).then(
    (code) => { if (code !== 'running') process.exitCode = code },
    (e: unknown) => {
      process.stderr.write(`Error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
      process.exitCode = 1
    },
  )
}
