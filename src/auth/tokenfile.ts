// Static token file (--token-auth-file), the Kubernetes CSV format:
//   token,user,uid[,"group1,group2"]
// parsed like Go's encoding/csv with TrimLeadingSpace and a variable number of fields.
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { UserInfo } from './types.js'
import type { VerifiedToken } from './cache.js'
import type { TokenAuthenticator } from './bearer.js'

export interface CSVRecord {
  line: number
  fields: string[]
}

/** RFC 4180 CSV with Go's TrimLeadingSpace; blank lines skipped; errors name file:line. */
export function parseCSV(text: string, file: string): CSVRecord[] {
  const records: CSVRecord[] = []
  let line = 1
  let i = 0
  const n = text.length
  while (i < n) {
    const startLine = line
    // Blank line (Go skips empty lines)
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1
      line++
      continue
    }
    const fields: string[] = []
    for (;;) {
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++
      let field = ''
      if (text[i] === '"') {
        i++
        for (;;) {
          if (i >= n) throw new Error(`${file}:${startLine}: extraneous or missing " in quoted-field`)
          const c = text[i]
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"'
              i += 2
              continue
            }
            i++
            break
          }
          if (c === '\n') line++
          field += c
          i++
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new Error(`${file}:${line}: extraneous or missing " in quoted-field`)
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '"') throw new Error(`${file}:${line}: bare " in non-quoted-field`)
          field += text[i]
          i++
        }
      }
      fields.push(field)
      if (text[i] === ',') {
        i++
        continue
      }
      break
    }
    if (text[i] === '\r') i++
    if (text[i] === '\n') {
      i++
      line++
    }
    records.push({ line: startLine, fields })
  }
  return records
}

/** Parses a token file into token → user; errors and warnings name file:line. */
export function parseTokenFile(text: string, file: string, warn: (msg: string) => void = () => undefined): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>()
  for (const { line, fields } of parseCSV(text, file)) {
    if (fields.length < 3) {
      throw new Error(`${file}:${line}: token file must have at least 3 columns (token, user name, user uid), found ${fields.length}`)
    }
    const [token, name, uid, groups] = fields as [string, string, string, string | undefined]
    if (token === '') {
      warn(`${file}:${line}: empty token ignored`)
      continue
    }
    if (tokens.has(token)) warn(`${file}:${line}: duplicate token, the later line wins`)
    const user: UserInfo = { name, groups: groups === undefined ? [] : groups.split(',').filter((g) => g !== ''), extra: {} }
    if (uid !== '') user.uid = uid
    tokens.set(token, user)
  }
  return tokens
}

/**
 * Looks tokens up by an HMAC of the token, so the map holds no usable credential and a
 * lookup does not compare secrets byte by byte.
 */
export class TokenFileAuthenticator implements TokenAuthenticator {
  readonly name = 'token-file'
  readonly #key = randomBytes(32)
  readonly #users = new Map<string, UserInfo>()

  constructor(file: string, warn?: (msg: string) => void) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new Error(`${file}: cannot read token file: ${(err as Error).message}`)
    }
    for (const [token, user] of parseTokenFile(text, file, warn)) this.#users.set(this.#hash(token), user)
  }

  #hash(token: string): string {
    return createHmac('sha256', this.#key).update(token).digest('base64url')
  }

  async verifyToken(token: string): Promise<VerifiedToken | null> {
    const user = this.#users.get(this.#hash(token))
    return user === undefined ? null : { user, method: this.name }
  }

}
