import t from 'tap'
import { trimLogicalCluster, trimMeta, trimWorkspace } from '../../src/controller/trim.js'
import type { LogicalClusterObject, WorkspaceObject } from '../../src/index/types.js'

t.test('trimMeta keeps name, resourceVersion, timestamps and only the annotations the index reads', async (t) => {
  const cases: [string, object, object][] = [
    ['name only', { name: 'a' }, { name: 'a' }],
    ['everything the index and lag metrics read',
      { name: 'a', resourceVersion: '7', creationTimestamp: 'c', deletionTimestamp: 'd', uid: 'u', labels: { x: 'y' }, managedFields: [{}],
        annotations: { 'kcp.io/cluster': 'root', 'kcp.io/path': 'root:a', 'internal.tenancy.kcp.io/type': 'root:universal', 'kubectl.kubernetes.io/last-applied-configuration': '{…}' } },
      { name: 'a', resourceVersion: '7', creationTimestamp: 'c', deletionTimestamp: 'd', annotations: { 'kcp.io/cluster': 'root', 'kcp.io/path': 'root:a', 'internal.tenancy.kcp.io/type': 'root:universal' } }],
    ['no kept annotation: no annotations field', { name: 'a', annotations: { other: 'x' } }, { name: 'a' }],
    ['a non-string annotation value is dropped', { name: 'a', annotations: { 'kcp.io/cluster': 5 } }, { name: 'a' }],
  ]
  for (const [name, input, want] of cases) t.same(trimMeta(input as never), want, name)
})

t.test('trimWorkspace keeps spec.cluster/URL/type/mount and status.phase', async (t) => {
  const full = {
    metadata: { name: 'team', resourceVersion: '9', annotations: { 'kcp.io/cluster': 'org' } },
    spec: { cluster: 'c1', URL: 'https://s/clusters/root:org:team', type: { name: 'universal', path: 'root' }, location: { selector: {} } },
    status: { phase: 'Ready', conditions: [{ type: 'X' }], initializers: [] },
  }
  const cases: [string, object, object][] = [
    ['a scheduled workspace', full, { metadata: { name: 'team', resourceVersion: '9', annotations: { 'kcp.io/cluster': 'org' } }, spec: { cluster: 'c1', URL: 'https://s/clusters/root:org:team', type: { name: 'universal', path: 'root' } }, status: { phase: 'Ready' } }],
    ['a mount', { metadata: { name: 'm' }, spec: { URL: 'https://mount', mount: { ref: { kind: 'K', name: 'n' } } } }, { metadata: { name: 'm' }, spec: { URL: 'https://mount', mount: { ref: { kind: 'K', name: 'n' } } } }],
    ['a null mount stays null (the index distinguishes it)', { metadata: { name: 'm' }, spec: { mount: null } }, { metadata: { name: 'm' }, spec: { mount: null } }],
    ['no spec, no status', { metadata: { name: 'new' } }, { metadata: { name: 'new' } }],
    ['status without phase', { metadata: { name: 'new' }, status: { conditions: [] } }, { metadata: { name: 'new' } }],
  ]
  for (const [name, input, want] of cases) t.same(trimWorkspace(input as WorkspaceObject), want, name)
})

t.test('trimLogicalCluster keeps status.phase and status.URL', async (t) => {
  const cases: [string, object, object][] = [
    ['a ready LC', { metadata: { name: 'cluster', annotations: { 'kcp.io/cluster': 'c1', 'internal.tenancy.kcp.io/type': 'root:universal', 'core.kcp.io/shard': 'alpha' } }, spec: { owner: {} }, status: { phase: 'Ready', URL: 'https://s/clusters/root:a', conditions: [] } },
      { metadata: { name: 'cluster', annotations: { 'kcp.io/cluster': 'c1', 'internal.tenancy.kcp.io/type': 'root:universal' } }, status: { phase: 'Ready', URL: 'https://s/clusters/root:a' } }],
    ['no status', { metadata: { name: 'cluster' } }, { metadata: { name: 'cluster' } }],
  ]
  for (const [name, input, want] of cases) t.same(trimLogicalCluster(input as LogicalClusterObject), want, name)
})

t.test('a trimmed object is much smaller than the emulator-shaped original', async (t) => {
  const ws = {
    metadata: { name: 'ws-1', uid: 'd7c5b0b6-0d7b-4c1e-9d7a-1f2e3d4c5b6a', resourceVersion: '123', creationTimestamp: '2026-11-24T00:00:00Z', annotations: { 'kcp.io/cluster': 'root', 'core.kcp.io/shard': 'alpha' },
      managedFields: [{ manager: 'kcp', operation: 'Update', apiVersion: 'tenancy.kcp.io/v1alpha1', time: '2026-11-24T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: {} }] },
    spec: { type: { name: 'universal', path: 'root' }, cluster: 'abcdefghijklm', URL: 'https://127.0.0.1:1234/clusters/root:ws-1' },
    status: { phase: 'Ready', conditions: [], initializers: [], terminators: [] },
  }
  t.ok(JSON.stringify(trimWorkspace(ws)).length < JSON.stringify(ws).length * 0.6)
})
