import { type ConditionUpdate, setCondition } from './conditions.js';
import type { SkeletonAppConditionType, SkeletonAppStatus } from './skeleton-app-status.js';

/**
 * The status when a reconcile could not go on: the given conditions set for this generation, the
 * phase naming why, and everything else as it was, since nothing else was observed.
 */
export function failureStatus(
  previous: SkeletonAppStatus | undefined,
  generation: number,
  updates: ConditionUpdate<SkeletonAppConditionType>[],
  now: Date,
): SkeletonAppStatus {
  let conditions = previous?.conditions ?? [];
  for (const update of updates) conditions = setCondition(conditions, update, now, generation);
  return { ...previous, observedGeneration: generation, conditions, phase: updates[0]?.reason ?? '' };
}
