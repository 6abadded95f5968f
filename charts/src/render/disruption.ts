import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { selectorLabels } from './labels.js';
import { names, objectMeta, type RenderInput } from './metadata.js';

/**
 * Limits how many API pods voluntary disruptions (node drains) take down at once. maxUnavailable rather
 * than minAvailable, so it keeps working whatever the autoscaler chose; AlwaysAllow lets drains evict
 * pods that are not ready anyway, instead of blocking on them forever.
 */
export function addDisruptionBudget(scope: Construct, input: RenderInput): ApiObject | undefined {
  const { app } = input;
  const budget = app.spec.podDisruptionBudget;
  if (!budget.enabled) return undefined;
  return new ApiObject(scope, 'disruption-budget', {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(input, names(app.name).disruptionBudget),
    spec: {
      selector: { matchLabels: selectorLabels(app.name) },
      maxUnavailable: budget.maxUnavailable,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}
