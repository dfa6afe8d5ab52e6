// The one shape of Kubernetes object metadata the program reads: the reflector keys and compares
// objects by it, the index and the controller read names and annotations from it.

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  creationTimestamp?: string
  deletionTimestamp?: string
}

/** metav1.ListMeta: what a list answer says about the list. */
export interface ListMeta {
  resourceVersion?: string
  continue?: string
}

/** Any object a reflector can hold. */
export interface KubeObject {
  metadata: ObjectMeta
}
