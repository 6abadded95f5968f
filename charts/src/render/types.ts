import type { SkeletonAppSpec } from '../spec.js';

/** The SkeletonApp being rendered: its identity plus the parsed, defaulted spec. */
export interface SkeletonAppRef {
  name: string;
  namespace: string;
  /** Needed only for owner references, which Kubernetes matches by uid, not by name. */
  uid?: string;
  spec: SkeletonAppSpec;
}

/** What the operator knows beyond the spec; static manifests pass fixed values. */
export interface RenderContext {
  /**
   * The image the Deployment runs. The operator advances it only once the migration for `spec.image`
   * succeeded, so the API never runs against a schema older than it expects; for static manifests it
   * is `spec.image`.
   */
  approvedImage: string;
  /** The Secret holding the JWT key set (`keys.json`), which the operator rotates. */
  keySetSecretName: string;
  /** Whether the ServiceMonitor CRD is installed; applying one without it would fail. */
  serviceMonitorAvailable: boolean;
  /** Add a controller ownerReference to the SkeletonApp so Kubernetes garbage-collects the objects. */
  ownerReference?: boolean;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/** A synthesized manifest: plain JSON, ready for server-side apply or YAML. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}
