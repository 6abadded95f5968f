import { SKELETON_APP } from '../api-group.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * Everything the operator may do cluster-wide, and nothing more: the ClusterRole is generated from
 * this list, and the operator's own tests check every request it makes against it.
 * - Owned objects are written by server-side apply, which creates as well (patch + create); they
 *   are watched (list, watch) to notice drift. The API never needs `update` on them.
 * - What a spec stops asking for is deleted (a disabled PodDisruptionBudget, NetworkPolicy, Ingress or
 *   ServiceMonitor, a ConfigMap without settings); what every app has (ServiceAccount, Service,
 *   Deployment, HPA) only goes with the app, by garbage collection, so it needs no delete.
 * - Secrets: only the key-set Secrets it owns, listed and watched with their label selector (RBAC
 *   cannot scope by label, so the operator's tests check every such request carries it), created
 *   when absent and replaced at the resourceVersion read, never patched or read by name.
 * - CustomResourceDefinitions are watched to notice when the ServiceMonitor API appears.
 */
/** What only exists cluster-wide: the CRDs, watched to notice when the ServiceMonitor API appears. */
export const OPERATOR_CLUSTER_SCOPED_PERMISSIONS: readonly PolicyRule[] = [
  {
    apiGroups: ['apiextensions.k8s.io'],
    resources: ['customresourcedefinitions'],
    verbs: ['get', 'list', 'watch'],
  },
];

export const OPERATOR_CLUSTER_PERMISSIONS: readonly PolicyRule[] = [
  // Apps are read from the watch and changed by merge patch only (the legacy finalizer's removal);
  // status only by merge patch on /status.
  {
    apiGroups: [SKELETON_APP.group],
    resources: [SKELETON_APP.plural],
    verbs: ['get', 'list', 'watch', 'patch'],
  },
  { apiGroups: [SKELETON_APP.group], resources: [`${SKELETON_APP.plural}/status`], verbs: ['patch'] },
  // blockOwnerDeletion on the children's ownerReferences needs it (OwnerReferencesPermissionEnforcement).
  { apiGroups: [SKELETON_APP.group], resources: [`${SKELETON_APP.plural}/finalizers`], verbs: ['update'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  {
    apiGroups: [''],
    resources: ['services', 'serviceaccounts'],
    verbs: ['get', 'list', 'watch', 'create', 'patch'],
  },
  {
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  // Only the key-set Secrets: watched by label, created when absent and replaced at a resourceVersion.
  { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch', 'create', 'update'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  {
    apiGroups: ['autoscaling'],
    resources: ['horizontalpodautoscalers'],
    verbs: ['get', 'list', 'watch', 'create', 'patch'],
  },
  {
    apiGroups: ['policy'],
    resources: ['poddisruptionbudgets'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies', 'ingresses'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  {
    apiGroups: ['monitoring.coreos.com'],
    resources: ['servicemonitors'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  ...OPERATOR_CLUSTER_SCOPED_PERMISSIONS,
];

/**
 * With WATCH_NAMESPACES, what the operator may do in each watched namespace (a Role there): every
 * rule above but the cluster-scoped ones, which stay in a ClusterRole of their own.
 */
export const OPERATOR_WATCHED_NAMESPACE_PERMISSIONS: readonly PolicyRule[] =
  OPERATOR_CLUSTER_PERMISSIONS.filter((rule) => !OPERATOR_CLUSTER_SCOPED_PERMISSIONS.includes(rule));

/** Leader election, in the operator's own namespace only. */
export const OPERATOR_NAMESPACE_PERMISSIONS: readonly PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];
