import t from 'tap'
import { formatTraceparent, parseTraceparent, shouldSample, workspacePathOf } from '../../src/tracing/traceparent.js'

const TID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SID = '00f067aa0ba902b7'

t.test('parseTraceparent accepts valid W3C headers and ignores every invalid one', async (t) => {
  const cases: [string, string | string[] | undefined, ReturnType<typeof parseTraceparent>][] = [
    ['sampled', `00-${TID}-${SID}-01`, { traceId: TID, spanId: SID, flags: 1 }],
    ['not sampled', `00-${TID}-${SID}-00`, { traceId: TID, spanId: SID, flags: 0 }],
    ['surrounding spaces', ` 00-${TID}-${SID}-01 `, { traceId: TID, spanId: SID, flags: 1 }],
    ['a later version with more fields', `01-${TID}-${SID}-09-whatever`, { traceId: TID, spanId: SID, flags: 9 }],
    ['absent', undefined, undefined],
    ['sent twice', [`00-${TID}-${SID}-01`, `00-${TID}-${SID}-01`], undefined],
    ['version ff', `ff-${TID}-${SID}-01`, undefined],
    ['version 00 with a tail', `00-${TID}-${SID}-01-x`, undefined],
    ['a later version glued to a tail', `01-${TID}-${SID}-01x`, undefined],
    ['uppercase hex', `00-${TID.toUpperCase()}-${SID}-01`, undefined],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SID}-01`, undefined],
    ['all-zero span id', `00-${TID}-${'0'.repeat(16)}-01`, undefined],
    ['short trace id', `00-${TID.slice(1)}-${SID}-01`, undefined],
    ['not hex', `00-${TID.slice(0, 31)}g-${SID}-01`, undefined],
    ['wrong separators', `00_${TID}_${SID}_01`, undefined],
    ['empty', '', undefined],
  ]
  for (const [name, input, want] of cases) t.same(parseTraceparent(input), want, name)
})

t.test('formatTraceparent writes version 00 with the sampled flag', async (t) => {
  t.equal(formatTraceparent(TID, SID, true), `00-${TID}-${SID}-01`)
  t.equal(formatTraceparent(TID, SID, false), `00-${TID}-${SID}-00`)
  t.same(parseTraceparent(formatTraceparent(TID, SID, true)), { traceId: TID, spanId: SID, flags: 1 }, 'round trip')
})

t.test('shouldSample follows the parent whatever the rate, else samples rate per million', async (t) => {
  const sampled = { traceId: TID, spanId: SID, flags: 1 }
  const notSampled = { traceId: TID, spanId: SID, flags: 0 }
  const r = (v: number) => () => v
  const cases: [string, Parameters<typeof shouldSample>, boolean][] = [
    ['sampled parent, rate 0', [sampled, 0, r(0.99)], true],
    ['unsampled parent, rate 1e6', [notSampled, 1_000_000, r(0)], false],
    ['no parent, rate 0', [undefined, 0, r(0)], false],
    ['no parent, rate 1e6', [undefined, 1_000_000, r(0.999999)], true],
    ['no parent, 1 %: draw below', [undefined, 10_000, r(0.0099)], true],
    ['no parent, 1 %: draw at the rate', [undefined, 10_000, r(0.01)], false],
    ['no parent, 1 %: draw above', [undefined, 10_000, r(0.5)], false],
  ]
  for (const [name, args, want] of cases) t.equal(shouldSample(...args), want, name)
  let n = 0
  let draws = 0
  const seq = () => (draws++ % 1000) / 1000
  for (let i = 0; i < 1000; i++) if (shouldSample(undefined, 10_000, seq)) n++
  t.equal(n, 10, '1 % of evenly spread draws')
})

t.test('workspacePathOf takes the /clusters/ segment only', async (t) => {
  const cases: [string, string][] = [
    ['/clusters/root:org/api/v1/namespaces', 'root:org'],
    ['/clusters/root:org', 'root:org'],
    ['/clusters/*/apis', '*'],
    ['/services/apiexport/root/x', ''],
    ['/version', ''],
  ]
  for (const [path, want] of cases) t.equal(workspacePathOf(path), want, path)
})
