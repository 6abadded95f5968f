import { findCondition, setCondition } from '../status/conditions.js';
import type { SkeletonAppStatus } from '../status/skeleton-app-status.js';
import type { RotationPlan } from './key-rotation.js';
import type { KeySetDamage, KeySetDecision } from './key-set-decision.js';
import { ROTATE_KEYS_ANNOTATION } from './key-set-secret.js';

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

const RESTORED = 'KeySetRestored';

/**
 * The status with the key set's state: the current key id, the last rotation and KeysRotated. A
 * restore from the operator's copy shows as reason KeySetRestored until the next rotation step, so
 * the person who deleted the Secret can see what happened after the fact.
 */
export function withKeyStatus(
  status: SkeletonAppStatus,
  decision: Extract<KeySetDecision, { kind: 'plan' }>,
  now: Date,
  generation: number,
): SkeletonAppStatus {
  const { plan, restored } = decision;
  const before = findCondition(status.conditions, 'KeysRotated');
  const stillRestored = restored !== undefined || (before?.reason === RESTORED && plan.action === 'none');
  const message = describePlan(plan, now);
  const conditions = setCondition(
    status.conditions,
    stillRestored
      ? {
          type: 'KeysRotated',
          status: 'True',
          reason: RESTORED,
          message: restored
            ? `The key-set Secret was ${restored} and has been restored with the same keys. ${message}`
            : (before?.message ?? message),
        }
      : { type: 'KeysRotated', status: 'True', reason: 'OnSchedule', message },
    now,
    generation,
  );
  return { ...status, conditions, currentKeyId: plan.currentKid, lastRotationTime: plan.lastRotationTime };
}

/**
 * The status when the key set is lost: KeysRotated False and Degraded True, saying what a person can
 * do. The current key id stays, since pods that still hold the mounted file keep signing with it.
 */
export function withLostKeySet(
  status: SkeletonAppStatus,
  secretName: string,
  damage: KeySetDamage,
  now: Date,
  generation: number,
): SkeletonAppStatus {
  const message =
    `The key-set Secret ${secretName} was ${damage} and this operator holds no copy of its keys. ` +
    'Pods that already run keep their mounted copy; new pods cannot start. Restore the Secret from a ' +
    `backup, or set the annotation ${ROTATE_KEYS_ANNOTATION} to a new value to create a new key set ` +
    '(tokens signed with the lost keys stop verifying: everyone signs in again).';
  let conditions = setCondition(
    status.conditions,
    { type: 'KeysRotated', status: 'False', reason: 'KeySetLost', message },
    now,
    generation,
  );
  conditions = setCondition(
    conditions,
    { type: 'Degraded', status: 'True', reason: 'KeySetLost', message },
    now,
    generation,
  );
  return { ...status, conditions };
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
