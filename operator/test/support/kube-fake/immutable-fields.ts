import { deepEqual } from './field-sets.js';
import type { ResourceType } from './resource-registry.js';
import { fieldInvalid, type StatusCause } from './status-errors.js';
import type { KubeObject } from './types.js';

const templateOf = (object: KubeObject) => (object.spec as { template?: unknown } | undefined)?.template;

/**
 * What kube-apiserver refuses to change on an existing object. A Job's pod template is immutable once
 * created (batch validation, `ValidateJobSpecUpdate`): a new template needs a new Job. kube-apiserver
 * prints the value as a Go struct; the fake prints JSON.
 */
export function immutableFieldCauses(
  resource: ResourceType,
  current: KubeObject,
  next: KubeObject,
): StatusCause[] {
  if (resource.group !== 'batch' || resource.kind !== 'Job') return [];
  const template = templateOf(next);
  if (deepEqual(templateOf(current), template)) return [];
  return [fieldInvalid('spec.template', template, 'field is immutable')];
}
