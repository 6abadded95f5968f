/**
 * Status conditions, following the Kubernetes API conventions
 * (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#typical-status-properties)
 * and the semantics of apimachinery's `meta.SetStatusCondition`.
 *
 * Everything here is pure: the clock is passed in, inputs are never mutated.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A condition as stored in `.status.conditions` (shape of metav1.Condition). */
export interface Condition<T extends string = string> {
  type: T;
  status: ConditionStatus;
  reason: string;
  message: string;
  /** RFC 3339, whole seconds: when `status` last changed. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** What a caller states about a condition; the timestamps are this module's business. */
export interface ConditionUpdate<T extends string = string> {
  type: T;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * Formats `now` as metav1.Time does: RFC 3339 in UTC with whole seconds. The API server stores
 * condition times at second precision, so a millisecond timestamp would never compare equal to
 * what is read back and would make every reconcile look like a change.
 */
export function toKubeTime(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Returns a new conditions array with `update` applied, as `meta.SetStatusCondition` does:
 * - a condition of a new type is appended (existing types keep their position, so the list does
 *   not reorder between reconciles and `kubectl describe` stays readable), with
 *   `lastTransitionTime = now`;
 * - for an existing type, `lastTransitionTime` moves ONLY when `status` changes: it answers "since
 *   when has this been True/False", not "when did the operator last look";
 * - `reason`, `message` and `observedGeneration` are always overwritten in place, since they
 *   describe the latest observation (an omitted `observedGeneration` removes it, as assigning the
 *   zero value does in Go).
 * Neither the input array nor its elements are mutated.
 */
export function setCondition<T extends string>(
  conditions: readonly Condition<T>[] | undefined,
  update: ConditionUpdate<T>,
  now: Date,
  observedGeneration?: number,
): Condition<T>[] {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === update.type);
  const existing = index === -1 ? undefined : list[index];
  const lastTransitionTime =
    existing !== undefined && existing.status === update.status
      ? existing.lastTransitionTime
      : toKubeTime(now);
  const next: Condition<T> = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime,
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
  };
  if (index === -1) return [...list, next];
  return list.map((c, i) => (i === index ? next : { ...c }));
}

/** The condition of the given type, if present. */
export function findCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  type: C['type'],
): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Whether the condition of the given type is present with status True. */
export function isTrue<C extends Condition>(conditions: readonly C[] | undefined, type: C['type']): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** Whether the condition of the given type is present with status False. */
export function isFalse<C extends Condition>(conditions: readonly C[] | undefined, type: C['type']): boolean {
  return findCondition(conditions, type)?.status === 'False';
}
