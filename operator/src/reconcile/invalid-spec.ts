import { failureStatus } from '../status/failure-status.js';
import type { SkeletonAppStatus } from '../status/skeleton-app-status.js';
import type { SpecProblem } from './desired-state.js';

/**
 * The status of an app whose spec this operator cannot read: Ready and Degraded say why, naming
 * every field at fault, and nothing else is touched (the children keep running as they were).
 */
export function invalidSpecStatus(
  previous: SkeletonAppStatus | undefined,
  generation: number,
  problems: SpecProblem[],
  now: Date,
): SkeletonAppStatus {
  const message = `The spec is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
  return failureStatus(
    previous,
    generation,
    [
      { type: 'Ready', status: 'False', reason: 'InvalidSpec', message },
      { type: 'Degraded', status: 'True', reason: 'InvalidSpec', message },
    ],
    now,
  );
}
