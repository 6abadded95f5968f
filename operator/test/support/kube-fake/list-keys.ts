/**
 * Associative-list keys of the built-in kinds the operator touches, as declared in the Kubernetes
 * OpenAPI (`x-kubernetes-list-type` / `x-kubernetes-list-map-keys`, and `patchMergeKey` for strategic
 * merge patch). Server-side apply and strategic merge patch both treat these lists as maps keyed by
 * these fields; every other list is atomic (replaced as a whole).
 *
 * Paths are field paths with list indices removed, e.g. ['spec', 'template', 'spec', 'containers'].
 * Matching is by suffix, so a pod spec is recognised wherever it is embedded (Pod, Deployment,
 * StatefulSet, Job, CronJob ...).
 */

export type ListType = string[] | 'set' | 'atomic';

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/**
 * Values Kubernetes defaults for key fields that may be omitted from a list item
 * (structured-merge-diff fills them in when building the item's key).
 */
export const KEY_FIELD_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP' };

/**
 * The list type at `path` (indices removed): the key fields of an associative list, `'set'` for a
 * list of unique scalars, or `'atomic'`. `kind` is optional: when given, `spec.ports` is keyed only
 * for a Service (a custom resource's `spec.ports` stays atomic).
 */
export function listKeysAt(path: readonly string[], kind?: string): ListType {
  const n = path.length;
  const last = path[n - 1];
  const parent = path[n - 2];
  if (last === undefined) return 'atomic';

  if (parent === 'metadata') {
    if (last === 'ownerReferences') return ['uid'];
    if (last === 'finalizers') return 'set';
    return 'atomic';
  }
  if (parent === 'status' && last === 'conditions') return ['type'];

  if (parent !== undefined && CONTAINER_LISTS.has(parent)) {
    // a field of a container (the container list's index was removed from the path)
    switch (last) {
      case 'ports':
        return ['containerPort', 'protocol'];
      case 'env':
        return ['name'];
      case 'volumeMounts':
        return ['mountPath'];
      default:
        return 'atomic'; // envFrom, command, args, volumeDevices ...
    }
  }

  if (parent === 'spec') {
    if (CONTAINER_LISTS.has(last)) return ['name'];
    switch (last) {
      case 'volumes':
      case 'imagePullSecrets':
        return ['name'];
      case 'topologySpreadConstraints':
        return ['topologyKey', 'whenUnsatisfiable'];
      case 'ports':
        // Service spec.ports (top-level spec only)
        if (n === 2 && (kind === undefined || kind === 'Service')) return ['port', 'protocol'];
        return 'atomic';
      default:
        return 'atomic';
    }
  }
  return 'atomic';
}
