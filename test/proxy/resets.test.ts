import t from 'tap'
import { isResetting, noteReset, RESET_LIMIT, RESET_WINDOW_MS } from '../../src/proxy/resets.js'

t.test('a session is judged resetting past RESET_LIMIT resets in a window, and stays judged through the next one', async (t) => {
  const cases: [string, number[], number, boolean][] = [
    // [name, reset times (ms), when asked, resetting?]
    ['never reset', [], 0, false],
    ['an occasional cancel (kubectl, client-go)', [0, 300, 900], 950, false],
    [`exactly ${RESET_LIMIT} in a window`, Array.from({ length: RESET_LIMIT }, (_, i) => i), 100, false],
    [`${RESET_LIMIT + 1} in a window`, Array.from({ length: RESET_LIMIT + 1 }, (_, i) => i), 100, true],
    ['still judged in the next window', Array.from({ length: RESET_LIMIT + 1 }, (_, i) => i), RESET_WINDOW_MS + 500, true],
    ['forgiven after a whole quiet window', Array.from({ length: RESET_LIMIT + 1 }, (_, i) => i), 2 * RESET_WINDOW_MS + 10, false],
    ['many slow windows of few resets each', Array.from({ length: 60 }, (_, i) => i * 200), 60 * 200, false],
  ]
  for (const [name, times, at, want] of cases) {
    const session = {}
    for (const ms of times) noteReset(session, ms)
    t.equal(isResetting(session, at), want, name)
  }
})
