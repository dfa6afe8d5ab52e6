import t from 'tap'
import fc from 'fast-check'
import { decodeEnvelope, ProtobufError } from '../../src/emulator/protobuf.js'

// Bodies recorded from kubectl v1.32.4 (`create configmap|secret|namespace|serviceaccount`, `auth whoami`,
// `auth can-i list configmaps -n default`).
const recorded: [string, string, unknown][] = [
  ['create configmap cm1 --from-literal=a=b --from-literal=c=d',
    '6b3873000a0f0a0276311209436f6e6669674d617012250a130a03636d3112001a0022002a0032003800420012060a016112016212060a01631201641a002200',
    { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm1' }, data: { a: 'b', c: 'd' } }],
  ['create secret generic s1 --from-literal=p=q',
    '6b3873000a0c0a0276311206536563726574121e0a120a02733112001a0022002a0032003800420012060a01701201711a001a002200',
    { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's1' }, data: { p: Buffer.from('q').toString('base64') } }],
  ['create ns n1',
    '6b3873000a0f0a02763112094e616d657370616365121a0a120a026e3112001a0022002a0032003800420012001a020a001a002200',
    { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'n1' }, spec: {}, status: {} }],
  ['create sa sa1',
    '6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042001a002200',
    { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'sa1' } }],
  ['auth whoami',
    '6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200',
    { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: {}, status: {} }],
  ['auth can-i list configmaps -n default',
    '6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a65637441636365737352657669657712430a100a0012001a0022002a0032003800420012250a230a0764656661756c7412046c6973741a0022002a0a636f6e6669676d61707332003a001a08080012001a0020001a002200',
    { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, spec: { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'configmaps' } } }],
]

t.test('decodes the bodies kubectl really sends, dropping empty scalars', async (t) => {
  for (const [what, hex, want] of recorded) t.same(decodeEnvelope(Buffer.from(hex, 'hex')), want, what)
})

// A minimal encoder to build bodies kubectl would send with more fields set.
const varint = (n: number): Buffer => {
  const out: number[] = []
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  out.push(n)
  return Buffer.from(out)
}
const field = (no: number, payload: Buffer | string): Buffer => {
  const b = typeof payload === 'string' ? Buffer.from(payload) : payload
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b])
}
const boolField = (no: number, v: boolean): Buffer => Buffer.from([(no << 3) | 0, v ? 1 : 0])
const entry = (no: number, k: string, v: string | Buffer): Buffer => field(no, Buffer.concat([field(1, k), field(2, v)]))
const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), field(1, Buffer.concat([field(1, apiVersion), field(2, kind)])), field(2, raw)])

t.test('decodes labels, annotations, finalizers, binaryData, immutable and owner references', async (t) => {
  const meta = Buffer.concat([
    field(1, 'full'), field(3, 'ns'), entry(11, 'app', 'demo'), entry(12, 'note', 'x'), field(14, 'f1'), field(14, 'f2'),
    field(13, Buffer.concat([field(1, 'Deployment'), field(3, 'd'), field(4, 'uid-1'), field(5, 'apps/v1'), boolField(6, true)])),
  ])
  const raw = Buffer.concat([field(1, meta), entry(2, 'k', 'v'), entry(3, 'bin', Buffer.from([0, 1, 2])), boolField(4, true)])
  t.same(decodeEnvelope(envelope('v1', 'ConfigMap', raw)), {
    kind: 'ConfigMap', apiVersion: 'v1',
    metadata: { name: 'full', namespace: 'ns', labels: { app: 'demo' }, annotations: { note: 'x' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'uid-1', controller: true }], finalizers: ['f1', 'f2'] },
    data: { k: 'v' }, binaryData: { bin: 'AAEC' }, immutable: true,
  })
  const secret = Buffer.concat([field(1, field(1, 's')), entry(2, 'b', Buffer.from([0xff])), field(3, 'kubernetes.io/tls'), entry(4, 'plain', 'text')])
  t.same(decodeEnvelope(envelope('v1', 'Secret', secret)), { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: { b: '/w==' }, type: 'kubernetes.io/tls', stringData: { plain: 'text' } })
  const sar = Buffer.concat([field(1, Buffer.alloc(0)), field(2, Buffer.concat([field(2, Buffer.concat([field(1, '/metrics'), field(2, 'get')])), field(3, 'alice'), field(4, 'g1'), field(4, 'g2')]))])
  t.same(decodeEnvelope(envelope('authorization.k8s.io/v1', 'SubjectAccessReview', sar)), {
    kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {},
    spec: { nonResourceAttributes: { path: '/metrics', verb: 'get' }, user: 'alice', groups: ['g1', 'g2'] },
  })
})

t.test('malformed bodies raise ProtobufError naming the problem', async (t) => {
  const cm = Buffer.from(recorded[0][1], 'hex')
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('{"kind":"ConfigMap"}'), /magic/],
    [cm.subarray(0, cm.length - 5), /exceeds|truncated/],
    [envelope('v1', 'Pod', Buffer.alloc(0)), /v1\/Pod is not supported/],
    [Buffer.concat([cm.subarray(0, 4), Buffer.from([0x0b])]), /wire type 3/],
    [Buffer.concat([cm.subarray(0, 4), Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]), /varint too long/],
  ]
  for (const [buf, msg] of cases) t.throws(() => decodeEnvelope(buf), { name: 'ProtobufError', message: msg }, msg.source)
})

t.test('arbitrary bytes after the magic never escape as anything but ProtobufError', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    try {
      decodeEnvelope(Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), Buffer.from(bytes)]))
    } catch (e) {
      if (!(e instanceof ProtobufError)) throw e
    }
  }), { numRuns: 500 })
  t.pass()
})
