import type { RotationPlan } from './key-rotation.js';
import {
  readKeySetSecret,
  rotationRequested,
  type StoredKeySet,
  type StoredSecret,
} from './key-set-secret.js';

/** Why a key set was put back from the operator's copy. */
export type KeySetDamage = 'deleted' | 'unreadable';

export type KeySetDecision =
  | {
      kind: 'plan';
      plan: RotationPlan;
      /** The Secret must be written: a rotation step, an honoured request, or a restore. */
      write: boolean;
      /** The rotation request recorded on the Secret as handled. */
      handledRequest: string | undefined;
      /** Set when the Secret is written back from the copy, with the same keys. */
      restored?: KeySetDamage;
    }
  | {
      /** The key set existed (status names its key) but neither the Secret nor a copy holds it. */
      kind: 'lost';
      damage: KeySetDamage;
    };

export interface KeySetInput {
  /** The Secret as the watch cache holds it; undefined when it is gone. */
  secret: StoredSecret | undefined;
  /** The last readable key set this operator saw for the app (its watch keeps one). */
  copy: StoredKeySet | undefined;
  /** Whether a key set ever existed for the app: its status names a current key. */
  everExisted: boolean;
  appAnnotations: Record<string, string> | undefined;
  plan: (stored: StoredKeySet['document'], rotationRequested: boolean) => RotationPlan;
}

/**
 * What to do with an app's key set. A deleted or unreadable Secret is restored with the same keys
 * from the copy, so no signed-in user loses their access token. A new key set is made only when
 * none ever existed, or when the app asks for a rotation; otherwise a lost key set is reported, not
 * silently replaced, since new keys sign everyone out.
 */
export function decideKeySet(input: KeySetInput): KeySetDecision {
  const found = readKeySetSecret(input.secret);
  const damage: KeySetDamage | undefined = found.document
    ? undefined
    : input.secret
      ? 'unreadable'
      : 'deleted';
  const restorable = damage !== undefined && input.copy?.document !== undefined;
  const stored = restorable && input.copy ? input.copy : found;
  const request = rotationRequested(input.appAnnotations, stored);
  if (damage !== undefined && !restorable && input.everExisted && request === undefined)
    return { kind: 'lost', damage };
  const plan = input.plan(stored.document, request !== undefined);
  const honoured = request !== undefined && (plan.action === 'published-next' || plan.action === 'created');
  return {
    kind: 'plan',
    plan,
    write: plan.changed || honoured || restorable,
    handledRequest: honoured ? request : stored.handledRequest,
    ...(restorable ? { restored: damage } : {}),
  };
}
