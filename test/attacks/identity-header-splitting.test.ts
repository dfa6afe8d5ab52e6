import t from 'tap'
import { tempDir, writeFile, LogCapture, startEchoServer, baseOptions, call } from '../auth/fixtures.js'

t.test('header splitting: an identity with CR/LF cannot inject headers (refused with 401)', async (t) => {
  const dir = tempDir(t)
  const log = new LogCapture()
  const srv = await startEchoServer(t, baseOptions({ tokenAuthFile: writeFile(dir, 't.csv', 'tok1,"alice\r\nX-Remote-Group: system:masters",1\ntok2,bob,2,"a\nb"\n') }), { logger: log.logger })
  for (const tok of ['tok1', 'tok2']) {
    const r = await call(srv, { headers: { authorization: `Bearer ${tok}` } })
    t.equal(r.status, 401, tok)
    t.match(r.decision.reason, /cannot be forwarded/)
  }
})
