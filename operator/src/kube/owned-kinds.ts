import { SKELETON_APP } from '@skeleton/charts';

/** A kind of object the operator watches, with what is needed to address its collection. */
export interface WatchedKind {
  /** `group/version`, or `v1` for the core group. */
  apiVersion: string;
  kind: string;
  plural: string;
}

export const SKELETON_APP_KIND: WatchedKind = {
  apiVersion: `${SKELETON_APP.group}/${SKELETON_APP.version}`,
  kind: SKELETON_APP.kind,
  plural: SKELETON_APP.plural,
};

export const SERVICE_MONITOR_KIND: WatchedKind = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  plural: 'servicemonitors',
};

/**
 * Every kind `renderSkeletonApp` can produce. They are watched with the managed-by label only,
 * so the caches hold the operator's objects and nothing else of the cluster. The ServiceMonitor is
 * watched only while its API is served (see MonitoringApi).
 */
export const OWNED_KINDS: readonly WatchedKind[] = [
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses' },
];

/** The label every rendered object carries, which scopes the child caches. */
export const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=skeleton-operator';

/**
 * The key-set Secrets, watched apart from the children (they are never pruned) and selected by the
 * label the operator sets on them, so no other Secret is ever listed or read.
 */
export const KEY_SET_KIND: WatchedKind = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' };
export const KEY_SET_SELECTOR = MANAGED_BY_SELECTOR;

/** The REST path of a collection, in one namespace or across all of them. */
export function collectionPath(kind: WatchedKind, namespace?: string): string {
  const base = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  return namespace === undefined
    ? `${base}/${kind.plural}`
    : `${base}/namespaces/${namespace}/${kind.plural}`;
}

/** Identifies a kind independently of its version's spelling elsewhere: `apiVersion/kind`. */
export const kindKey = (kind: { apiVersion: string; kind: string }) => `${kind.apiVersion}/${kind.kind}`;
