// Header splitting: an identity holding CR/LF would, written as X-Remote-User/-Group, inject a
// header line the shard believes (X-Remote-Group: system:masters). Such identities are refused
// at the proxy, over HTTP/1.1 and HTTP/2; and a client's own attempt to split a header line is
// refused by the proxy's parser before anything reaches a shard.
import t from 'tap'
import { arena, bearer, marker, protocols, rawTLS, readUntilClose, refused, reviewBody, reviewPath, shardSaw } from './arena.js'

const a = await arena(t, { tokenCsv: 'tok1,"alice\r\nX-Remote-Group: system:masters",1\ntok2,bob2,2,"a\nb"\n' })

for (const p of protocols) {
  t.test(`header splitting (${p}): a token-file identity with CR/LF cannot inject headers (refused with 401)`, async (t) => {
    for (const tok of ['tok1', 'tok2']) {
      const why = await refused(t, a, p, { headers: bearer(tok) }, tok)
      t.match(why, /cannot be forwarded/, `${tok}: refused for the identity, not the token`)
    }
  })

  t.test(`header splitting (${p}): an OIDC identity with CR/LF cannot inject headers (refused with 401)`, async (t) => {
    const claims = [
      { email: 'dev@example.com\r\nX-Remote-Group: system:masters' },
      { email: 'dev@example.com', groups: ['devs\r\nX-Remote-User: admin'] },
    ]
    for (const c of claims) {
      const why = await refused(t, a, p, { headers: bearer(await a.issuer!.token(c)) }, JSON.stringify(c))
      t.match(why, /cannot be forwarded/)
    }
  })
}

const splits: [string, string][] = [
  ['a bare LF', 'X-Foo: a\nX-Remote-User: admin\r\n'],
  ['a bare CR', 'X-Foo: a\rX-Remote-User: admin\r\n'],
  ['an obsolete line folding', 'X-Foo: a\r\n X-Remote-User: admin\r\n'],
  ['a NUL', 'X-Foo: a\0X-Remote-User: admin\r\n'],
  ['a space before the colon', 'X-Remote-User : admin\r\n'],
]
for (const [how, line] of splits) {
  t.test(`header splitting (HTTP/1.1): a request header split by ${how} is refused (400), the shard is never asked`, async (t) => {
    const s = await rawTLS(t, a)
    const m = marker()
    const answer = readUntilClose(s, 5000)
    s.write(
      `POST ${reviewPath()}?${m} HTTP/1.1\r\nHost: ${new URL(a.proxy.url).host}\r\nAuthorization: Bearer bob-token\r\n${line}` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(reviewBody)}\r\n\r\n${reviewBody}`,
    )
    const r = await answer
    t.match(r.text, /^HTTP\/1\.1 400 /)
    t.match(r.text, /"kind":"Status"/, 'answered as a Kubernetes Status')
    t.ok(r.closed, 'the connection is closed')
    t.notOk(shardSaw(a, m))
  })
}
