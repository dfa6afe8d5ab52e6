// The YAML side of our config files (--oidc-issuers-file, --tracing-config-file): parse once with
// line positions, so every error names file:line; syntax errors come back all at once.
import { LineCounter, parseDocument, type Node, type ParsedNode } from 'yaml'

export interface LocatedYAML {
  /** The document's root; undefined when the text had syntax errors (listed in `errors`). */
  readonly root: ParsedNode | null | undefined
  /** `file:line` of a node, or `file` when it has no position. */
  readonly at: (n: Node | null | undefined) => string
  /** Syntax errors, each `file:line: message`. */
  readonly errors: string[]
}

export function parseYAMLFile(text: string, file: string): LocatedYAML {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const at = (n: Node | null | undefined): string => {
    const off = n?.range?.[0]
    return off === undefined ? file : `${file}:${lines.linePos(off).line}`
  }
  const errors = doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.replace(/\s+/g, ' ')}`)
  return { root: errors.length > 0 ? undefined : doc.contents, at, errors }
}
