// The index's two views: the proxy side (pipeline, admission, router, FrontProxy.index) is typed
// as the reader, so a mutation from there does not compile; only the controller holds the writer.
// The checks are compile-time (npm run typecheck covers test/).
import t from 'tap'
import type { RoutingIndexReader, RoutingIndexWriter } from '../../src/index/types.js'
import { WorkspaceIndex } from '../../src/index/index.js'
import type { AdmissionDeps } from '../../src/proxy/admission.js'
import type { PipelineDeps } from '../../src/proxy/pipeline.js'
import type { route } from '../../src/proxy/router.js'
import type { FrontProxy, FrontProxyParts } from '../../src/server/front-proxy.js'

type Mutation = Exclude<keyof RoutingIndexWriter, keyof RoutingIndexReader>
/** true when `T` offers none of the writer's methods. */
type ReadOnly<T> = [Extract<keyof T, Mutation>] extends [never] ? true : false

t.test('the reader offers no mutation; the proxy side and embedders only get the reader', (t) => {
  // Each line fails to compile if that view gains a mutation.
  const views = [
    true satisfies ReadOnly<RoutingIndexReader>,
    true satisfies ReadOnly<PipelineDeps['index']>,
    true satisfies ReadOnly<AdmissionDeps['index']>,
    true satisfies ReadOnly<Parameters<typeof route>[1]>,
    true satisfies ReadOnly<FrontProxy['index']>,
    true satisfies ReadOnly<FrontProxyParts['index']>,
  ]
  t.ok(views.every(Boolean))
  const reader: RoutingIndexReader = new WorkspaceIndex()
  // @ts-expect-error the reader has no upsertShard (a mutation through it does not compile)
  t.equal(typeof reader.upsertShard, 'function', 'it is a type-level view of the same object, not a copy')
  t.end()
})

t.test('the writer the controller holds can both feed and read the index', (t) => {
  const writer: RoutingIndexWriter = new WorkspaceIndex()
  writer.upsertShard('root', 'https://root.example:6443')
  t.same([...writer.indexedCounts()], [['root', 0]])
  t.end()
})
