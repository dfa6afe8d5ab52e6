// The columns kubectl prints for each kind the emulator serves, as the real servers define them:
// built-in kinds from Kubernetes' internal printers (pkg/printers/internalversion, descriptions from the
// v1.32 API docs), kcp's kinds from the additionalPrinterColumns of kcp's CRDs (config/crds) through the
// apiextensions table convertor (Name first; a date column renders as an age).
import type { KubeObject } from './store.js'

export interface ColumnDefinition {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

export interface Printer {
  columns: ColumnDefinition[]
  /** The row's cells, in column order. `age` is the object's age as kubectl shows it. */
  cells(o: KubeObject, age: string): unknown[]
}

const NAME_DOC = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names'
const CREATED_DOC = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata'
const CONFIGMAP_DATA_DOC = "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."
const SECRET_TYPE_DOC = 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'
const SECRET_DATA_DOC = "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"
const SA_SECRETS_DOC = 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret'

const column = (name: string, type: string, description: string, format = ''): ColumnDefinition => ({ name, type, format, description, priority: 0 })
const NAME = column('Name', 'string', NAME_DOC, 'name')
const AGE = column('Age', 'string', CREATED_DOC)

type Obj = Record<string, unknown>
const field = (o: KubeObject, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Obj)[k] : undefined), o)
const count = (v: unknown): number => (v !== null && typeof v === 'object' ? Object.keys(v).length : 0)
const text = (v: unknown): string => (typeof v === 'string' ? v : '')

/** Kubernetes' internal printers: the Age column is a string the server already rendered. */
function builtin(middle: ColumnDefinition[], cells: (o: KubeObject) => unknown[]): Printer {
  return { columns: [NAME, ...middle, AGE], cells: (o, age) => [o.metadata.name, ...cells(o), age] }
}

/** One CRD additionalPrinterColumn: a JSONPath into the object; missing values are null cells. */
interface CRDColumn { name: string; type: 'string' | 'date'; path: string[]; jsonPath: string; description?: string }

/** The apiextensions table convertor: Name, then each printer column; `date` cells render as an age. */
function crd(cols: CRDColumn[]): Printer {
  return {
    columns: [NAME, ...cols.map((c) => column(c.name, c.type, c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`))],
    cells: (o, age) => [o.metadata.name, ...cols.map((c) => {
      if (c.type === 'date') return typeof field(o, ...c.path) === 'string' ? age : null
      const v = field(o, ...c.path)
      return typeof v === 'string' ? v : null
    })],
  }
}

const CRD_AGE: CRDColumn = { name: 'Age', type: 'date', path: ['metadata', 'creationTimestamp'], jsonPath: '.metadata.creationTimestamp' }

/** By store key (`group/resource`). */
export const printers: Readonly<Record<string, Printer>> = {
  '/namespaces': builtin([column('Status', 'string', 'The status of the namespace')], (o) => [text(field(o, 'status', 'phase'))]),
  '/configmaps': builtin([column('Data', 'string', CONFIGMAP_DATA_DOC)], (o) => [count(o.data) + count(o.binaryData)]),
  '/secrets': builtin([column('Type', 'string', SECRET_TYPE_DOC), column('Data', 'string', SECRET_DATA_DOC)], (o) => [text(o.type), count(o.data)]),
  '/serviceaccounts': builtin([column('Secrets', 'string', SA_SECRETS_DOC)], (o) => [Array.isArray(o.secrets) ? o.secrets.length : 0]),
  'tenancy.kcp.io/workspaces': crd([
    { name: 'Type', type: 'string', path: ['spec', 'type', 'name'], jsonPath: '.spec.type.name', description: 'Type of the workspace' },
    { name: 'Region', type: 'string', path: ['metadata', 'labels', 'region'], jsonPath: ".metadata.labels['region']", description: 'The region this workspace is in' },
    { name: 'Phase', type: 'string', path: ['status', 'phase'], jsonPath: '.status.phase', description: 'The current phase (e.g. Scheduling, Initializing, Ready, Deleting)' },
    { name: 'URL', type: 'string', path: ['spec', 'URL'], jsonPath: '.spec.URL', description: 'URL to access the workspace' },
    CRD_AGE,
  ]),
  'core.kcp.io/logicalclusters': crd([
    { name: 'Phase', type: 'string', path: ['status', 'phase'], jsonPath: '.status.phase', description: 'The current phase (e.g. Scheduling, Initializing, Ready, Deleting)' },
    { name: 'URL', type: 'string', path: ['status', 'URL'], jsonPath: '.status.URL', description: 'URL to access the logical cluster' },
    CRD_AGE,
  ]),
  'core.kcp.io/shards': crd([
    { name: 'Region', type: 'string', path: ['metadata', 'labels', 'region'], jsonPath: ".metadata.labels['region']", description: 'The region this workspace is in' },
    { name: 'URL', type: 'string', path: ['spec', 'baseURL'], jsonPath: '.spec.baseURL', description: 'Type URL to directly connect to the shard' },
    { name: 'External URL', type: 'string', path: ['spec', 'externalURL'], jsonPath: '.spec.externalURL', description: 'The URL exposed in logical clusters created on that shard' },
    CRD_AGE,
  ]),
  'apis.kcp.io/apiexports': crd([CRD_AGE]),
}
