import t from 'tap'
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from '../../src/emulator/selectors.js'

t.test('label selectors match as the apiserver does', async (t) => {
  const labels = { app: 'demo', tier: 'web', empty: '' }
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ['', labels, true],
    ['app=demo', labels, true],
    ['app==demo', labels, true],
    ['app=other', labels, false],
    ['app!=other', labels, true],
    ['app!=demo', labels, false],
    ['missing!=x', labels, true],
    ['app in (demo,prod)', labels, true],
    ['app in (prod)', labels, false],
    ['app notin (prod)', labels, true],
    ['missing notin (prod)', labels, true],
    ['app notin (demo)', labels, false],
    ['app', labels, true],
    ['missing', labels, false],
    ['!missing', labels, true],
    ['!app', labels, false],
    ['empty=', labels, true],
    ['app=demo,tier=web', labels, true],
    ['app=demo,tier=db', labels, false],
    ['app in (demo, prod),!missing', labels, true],
    ['app=demo', undefined, false],
    ['!app', undefined, true],
    ['example.com/key=v', { 'example.com/key': 'v' }, true],
  ]
  for (const [sel, l, want] of cases) t.equal(matchesLabels(parseLabelSelector(sel), l), want, `${JSON.stringify(sel)} on ${JSON.stringify(l)}`)
})

t.test('malformed label selectors are rejected with a message', async (t) => {
  for (const bad of ['app=demo=x', 'in (a)', 'a b', 'app=bad value', '=x']) t.throws(() => parseLabelSelector(bad), SelectorError, bad)
})

t.test('field selectors support metadata.name and metadata.namespace only', async (t) => {
  const cases: [string, string, string, boolean][] = [
    ['metadata.name=a', 'a', 'ns', true],
    ['metadata.name==a', 'b', 'ns', false],
    ['metadata.name!=a', 'b', 'ns', true],
    ['metadata.namespace=ns', 'a', 'ns', true],
    ['metadata.namespace=ns,metadata.name=a', 'a', 'ns', true],
    ['metadata.namespace=other,metadata.name=a', 'a', 'ns', false],
    ['', 'x', 'y', true],
  ]
  for (const [sel, name, ns, want] of cases) t.equal(matchesFields(parseFieldSelector(sel), name, ns), want, sel)
  t.throws(() => parseFieldSelector('spec.x=1'), { message: 'field label not supported: spec.x' })
  t.throws(() => parseFieldSelector('garbage'), SelectorError)
})
