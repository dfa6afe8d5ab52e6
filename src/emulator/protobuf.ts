// Decoder for the Kubernetes protobuf envelope (magic `k8s\0` + runtime.Unknown) and the few kinds kubectl's
// typed commands send (create configmap|secret|namespace|serviceaccount, auth whoami, auth can-i). kubectl
// never retries such a request in JSON, so without this those commands cannot work. Output is the JSON
// form with empty scalars dropped, as Go's `omitempty` would.

export class ProtobufError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProtobufError'
  }
}

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer }

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00])

/** Reads a message into its fields (repeated fields appear repeatedly, in order). */
export function readFields(buf: Buffer): Field[] {
  const out: Field[] = []
  let pos = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new ProtobufError('truncated varint')
      const b = buf[pos++]
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return result
      shift += 7n
    }
    throw new ProtobufError('varint too long')
  }
  while (pos < buf.length) {
    const key = Number(varint())
    const no = key >>> 3
    const wire = key & 7
    if (no === 0) throw new ProtobufError('field number 0')
    switch (wire) {
      case 0: out.push({ no, wire, varint: varint() }); break
      case 1: case 5: {
        const n = wire === 1 ? 8 : 4
        if (pos + n > buf.length) throw new ProtobufError('truncated fixed field')
        out.push({ no, wire, bytes: buf.subarray(pos, pos + n) })
        pos += n
        break
      }
      case 2: {
        const len = Number(varint())
        if (len < 0 || pos + len > buf.length) throw new ProtobufError(`length ${len} of field ${no} exceeds the message`)
        out.push({ no, wire, bytes: buf.subarray(pos, pos + len) })
        pos += len
        break
      }
      default: throw new ProtobufError(`unsupported wire type ${wire} for field ${no}`)
    }
  }
  return out
}

const str = (f: Field): string => (f.bytes ?? Buffer.alloc(0)).toString('utf8')
const sub = (f: Field): Field[] => readFields(f.bytes ?? Buffer.alloc(0))
const bool = (f: Field): boolean => (f.varint ?? 0n) !== 0n

function entry(f: Field): [string, Buffer] {
  let k = ''
  let v: Buffer = Buffer.alloc(0)
  for (const e of sub(f)) {
    if (e.no === 1) k = str(e)
    else if (e.no === 2) v = e.bytes ?? Buffer.alloc(0)
  }
  return [k, v]
}

type Obj = Record<string, unknown>

function setIf(o: Obj, k: string, v: unknown): void {
  if (v === undefined || v === '' || v === false) return
  if (Array.isArray(v) && v.length === 0) return
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) return
  o[k] = v
}

function stringMap(fields: Field[], no: number, enc: 'utf8' | 'base64' = 'utf8'): Obj {
  const m: Obj = {}
  for (const f of fields) if (f.no === no) { const [k, v] = entry(f); m[k] = v.toString(enc) }
  return m
}

function strings(fields: Field[], no: number): string[] {
  return fields.filter((f) => f.no === no).map(str)
}

function first(fields: Field[], no: number): Field | undefined {
  for (let i = fields.length - 1; i >= 0; i--) if (fields[i].no === no) return fields[i]
  return undefined
}

function firstStr(fields: Field[], no: number): string | undefined {
  const f = first(fields, no)
  return f === undefined ? undefined : str(f)
}

function ownerReference(f: Field): Obj {
  const fs = sub(f)
  const o: Obj = {}
  setIf(o, 'apiVersion', firstStr(fs, 5))
  setIf(o, 'kind', firstStr(fs, 1))
  setIf(o, 'name', firstStr(fs, 3))
  setIf(o, 'uid', firstStr(fs, 4))
  const c = first(fs, 6)
  if (c) o.controller = bool(c)
  const b = first(fs, 7)
  if (b) o.blockOwnerDeletion = bool(b)
  return o
}

export function decodeObjectMeta(buf: Buffer): Obj {
  const fs = readFields(buf)
  const m: Obj = {}
  setIf(m, 'name', firstStr(fs, 1))
  setIf(m, 'generateName', firstStr(fs, 2))
  setIf(m, 'namespace', firstStr(fs, 3))
  setIf(m, 'uid', firstStr(fs, 5))
  setIf(m, 'resourceVersion', firstStr(fs, 6))
  setIf(m, 'labels', stringMap(fs, 11))
  setIf(m, 'annotations', stringMap(fs, 12))
  setIf(m, 'ownerReferences', fs.filter((f) => f.no === 13).map(ownerReference))
  setIf(m, 'finalizers', strings(fs, 14))
  return m
}

function meta(fs: Field[]): Obj {
  const f = first(fs, 1)
  return f?.bytes ? decodeObjectMeta(f.bytes) : {}
}

function subFields(fs: Field[], no: number): Field[] {
  const f = first(fs, no)
  return f ? sub(f) : []
}

const decoders: Record<string, (fs: Field[]) => Obj> = {
  'v1/ConfigMap': (fs) => {
    const o: Obj = { metadata: meta(fs) }
    setIf(o, 'data', stringMap(fs, 2))
    setIf(o, 'binaryData', stringMap(fs, 3, 'base64'))
    const imm = first(fs, 4)
    if (imm) o.immutable = bool(imm)
    return o
  },
  'v1/Secret': (fs) => {
    const o: Obj = { metadata: meta(fs) }
    setIf(o, 'data', stringMap(fs, 2, 'base64'))
    setIf(o, 'type', firstStr(fs, 3))
    setIf(o, 'stringData', stringMap(fs, 4))
    const imm = first(fs, 5)
    if (imm) o.immutable = bool(imm)
    return o
  },
  'v1/Namespace': (fs) => {
    const o: Obj = { metadata: meta(fs) }
    const spec: Obj = {}
    setIf(spec, 'finalizers', strings(subFields(fs, 2), 1))
    o.spec = spec
    const status: Obj = {}
    setIf(status, 'phase', firstStr(subFields(fs, 3), 1))
    o.status = status
    return o
  },
  'v1/ServiceAccount': (fs) => {
    const o: Obj = { metadata: meta(fs) }
    const a = first(fs, 4)
    if (a) o.automountServiceAccountToken = bool(a)
    return o
  },
  'authentication.k8s.io/v1/SelfSubjectReview': (fs) => ({ metadata: meta(fs), status: {} }),
  'authorization.k8s.io/v1/SelfSubjectAccessReview': (fs) => ({ metadata: meta(fs), spec: accessSpec(subFields(fs, 2), false) }),
  'authorization.k8s.io/v1/SubjectAccessReview': (fs) => ({ metadata: meta(fs), spec: accessSpec(subFields(fs, 2), true) }),
}

function accessSpec(fs: Field[], withSubject: boolean): Obj {
  const spec: Obj = {}
  const ra = first(fs, 1)
  if (ra) {
    const r = sub(ra)
    const o: Obj = {}
    const names = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name']
    names.forEach((n, i) => setIf(o, n, firstStr(r, i + 1)))
    spec.resourceAttributes = o
  }
  const nra = first(fs, 2)
  if (nra) {
    const r = sub(nra)
    const o: Obj = {}
    setIf(o, 'path', firstStr(r, 1))
    setIf(o, 'verb', firstStr(r, 2))
    spec.nonResourceAttributes = o
  }
  if (withSubject) {
    setIf(spec, 'user', firstStr(fs, 3))
    setIf(spec, 'groups', strings(fs, 4))
    const extra: Obj = {}
    for (const f of fs.filter((x) => x.no === 5)) {
      // map<string, ExtraValue{items=1 repeated string}>
      let k = ''
      let items: string[] = []
      for (const e of sub(f)) {
        if (e.no === 1) k = str(e)
        else if (e.no === 2) items = strings(sub(e), 1)
      }
      extra[k] = items
    }
    setIf(spec, 'extra', extra)
    setIf(spec, 'uid', firstStr(fs, 6))
  }
  return spec
}

/** Kinds this decoder understands, as `apiVersion/Kind`. */
export const protobufKinds: readonly string[] = Object.keys(decoders)

/** Decodes a `k8s\0` envelope into a JSON object with apiVersion and kind set. */
export function decodeEnvelope(body: Buffer): Obj {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError('missing the k8s protobuf magic prefix')
  const fs = readFields(body.subarray(4))
  const tm = subFields(fs, 1)
  const apiVersion = firstStr(tm, 1) ?? ''
  const kind = firstStr(tm, 2) ?? ''
  const enc = firstStr(fs, 3)
  if (enc !== undefined && enc !== '') throw new ProtobufError(`unsupported content encoding ${JSON.stringify(enc)}`)
  const decode = decoders[`${apiVersion}/${kind}`]
  if (decode === undefined) throw new ProtobufError(`protobuf decoding of ${apiVersion}/${kind} is not supported by the emulator`)
  const raw = first(fs, 2)?.bytes ?? Buffer.alloc(0)
  return { kind, apiVersion, ...decode(readFields(raw)) }
}
