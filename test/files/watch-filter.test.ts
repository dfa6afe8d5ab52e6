import t from 'tap'
import { concernsWatched, watchedNames } from '../../src/files/watch-filter.js'

t.test('watchedNames takes the base names of the files', async (t) => {
  t.same([...watchedNames(['/etc/kcp/tls.crt', '/etc/kcp/tls.key', 'mapping.yaml'])], ['tls.crt', 'tls.key', 'mapping.yaml'])
})

t.test('a directory event concerns a watched file only when it may have changed it', async (t) => {
  const names = watchedNames(['/etc/kcp/tls.crt', '/etc/kcp/tls.key'])
  const cases: [string, string | Buffer | null | undefined, boolean][] = [
    ['the certificate itself', 'tls.crt', true],
    ['the key itself', 'tls.key', true],
    ['as a Buffer', Buffer.from('tls.key'), true],
    ['Kubernetes atomic writer symlink swap', '..data', true],
    ['Kubernetes atomic writer temp link', '..data_tmp', true],
    ['Kubernetes timestamped directory', '..2026_11_24_03_00_00.123456789', true],
    ['no file name reported (cannot tell)', null, true],
    ['undefined file name', undefined, true],
    ['empty file name', '', true],
    ['a log file in the same directory', 'front-proxy.log', false],
    ['an editor swap file', '.tls.crt.swp', false],
    ['a similarly named file', 'tls.crt.bak', false],
  ]
  for (const [name, filename, want] of cases) t.equal(concernsWatched(filename, names), want, name)
})
