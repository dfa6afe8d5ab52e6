import t from 'tap'
import { describeMiss } from '../../src/proxy/miss.js'

t.test('the reason a user reads for a workspace the proxy cannot route', async (t) => {
  const cases: [string, Parameters<typeof describeMiss>, string][] = [
    ['unknown', [{ reason: 'unknown', at: 'root:nope' }, []], 'workspace "root:nope" does not exist'],
    ['unknown while a shard is still being indexed', [{ reason: 'unknown', at: 'root:nope' }, ['beta']], 'workspace "root:nope" is not known to the front-proxy, which has not finished indexing shard beta; try again shortly'],
    ['deleted (whatever is being indexed)', [{ reason: 'deleted', at: 'root:org:gone' }, ['beta']], 'workspace "root:org:gone" was deleted'],
    ['invalid', [{ reason: 'invalid', at: 'Root:Org' }, []], '"Root:Org" is not a valid workspace path'],
    ['no shard URL', [{ reason: 'no-shard-url', at: 'root:org' }, []], 'the shard holding workspace "root:org" has no URL the front-proxy knows yet'],
  ]
  for (const [name, args, want] of cases) t.equal(describeMiss(...args), want, name)
})
