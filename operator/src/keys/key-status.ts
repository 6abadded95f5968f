import { setCondition } from '../status/conditions.js';
import type { SkeletonAppStatus } from '../status/skeleton-app-status.js';
import type { RotationPlan } from './key-rotation.js';

/** Where the rotation stands, in words a person reading `kubectl describe` can act on. */
function describePlan(plan: RotationPlan, now: Date): string {
  const next = plan.nextActionAt.getTime() > now.getTime() ? plan.nextActionAt.toISOString() : 'now';
  const keys = plan.document.keys;
  const pending = keys.find((key) => key.state === 'next');
  const retiring = keys.find((key) => key.state === 'previous');
  const parts = [`Signing with key ${plan.currentKid} since ${plan.lastRotationTime}.`];
  if (pending) parts.push(`Key ${pending.kid} is published for verification and becomes current at ${next}.`);
  else if (retiring) parts.push(`The previous key ${retiring.kid} still verifies until ${next}.`);
  else parts.push(`Next rotation at ${next}.`);
  return parts.join(' ');
}

/** The status with the key set's state: the current key id, the last rotation and KeysRotated. */
export function withKeyStatus(
  status: SkeletonAppStatus,
  plan: RotationPlan,
  now: Date,
  generation: number,
): SkeletonAppStatus {
  const conditions = setCondition(
    status.conditions,
    { type: 'KeysRotated', status: 'True', reason: 'OnSchedule', message: describePlan(plan, now) },
    now,
    generation,
  );
  return { ...status, conditions, currentKeyId: plan.currentKid, lastRotationTime: plan.lastRotationTime };
}

/** The event for a rotation step, if it was one. */
export function rotationEvent(plan: RotationPlan): { reason: string; note: string } | undefined {
  const next = plan.document.keys.find((key) => key.state === 'next');
  switch (plan.action) {
    case 'created':
      return { reason: 'KeysCreated', note: `Created the signing key ${plan.currentKid}.` };
    case 'published-next':
      return {
        reason: 'KeyPublished',
        note: `Published key ${next?.kid} for verification; it starts signing after the propagation delay.`,
      };
    case 'promoted':
      return {
        reason: 'KeyRotated',
        note: `Signing with key ${plan.currentKid}; the previous key still verifies.`,
      };
    case 'retired-previous':
      return {
        reason: 'KeyRetired',
        note: 'Retired the previous signing key: no token it signed is still valid.',
      };
    case 'none':
      return undefined;
  }
}
