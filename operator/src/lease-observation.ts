import type { V1LeaseSpec } from '@kubernetes/client-node';

/**
 * What a candidate knows of a Lease, after client-go's observedRecord and observedTime: the election
 * record it last read and when, on its own clock, it saw that record change. A candidate never
 * compares the holder's renewTime with its own clock: the two machines' clocks may disagree by any
 * amount, and a candidate 20 s ahead would take a Lease its holder renews every 2 s. That the record
 * changes is the holder's only sign of life a candidate can trust; only its own clock measures how
 * long the record has stood still.
 */
export interface LeaseObservation {
  /** The record (holder, duration, times, transitions) as compared for a change. */
  record: string;
  /** When this candidate first read `record`, in milliseconds of its own monotonic clock. */
  observedAt: number;
  /** How long the record may stand still before its holder is presumed gone. */
  leaseDurationMs: number;
}

/**
 * The election record of a Lease. Its MicroTimes come back from the client as the wire's strings (it
 * has no deserializer for them, whatever its model's type says), and go out as V1MicroTime.
 */
export type LeaseRecord = Pick<
  V1LeaseSpec,
  'holderIdentity' | 'leaseDurationSeconds' | 'leaseTransitions'
> & {
  acquireTime?: unknown;
  renewTime?: unknown;
};

const wireTime = (time: unknown): string => (time instanceof Date ? time.toISOString() : String(time ?? ''));

function recordOf(spec: LeaseRecord): string {
  return JSON.stringify([
    spec.holderIdentity ?? '',
    spec.leaseDurationSeconds ?? null,
    wireTime(spec.acquireTime),
    wireTime(spec.renewTime),
    spec.leaseTransitions ?? 0,
  ]);
}

/**
 * The observation after reading `spec` at `now`: unchanged if the record is the one seen before
 * (so the time it has stood still keeps growing), else a new one starting at `now`. A record without
 * leaseDurationSeconds lasts `defaultDurationMs`.
 */
export function observeLease(
  previous: LeaseObservation | undefined,
  spec: LeaseRecord,
  now: number,
  defaultDurationMs: number,
): LeaseObservation {
  const record = recordOf(spec);
  if (previous?.record === record) return previous;
  const seconds = spec.leaseDurationSeconds;
  return {
    record,
    observedAt: now,
    leaseDurationMs: seconds === undefined ? defaultDurationMs : seconds * 1000,
  };
}

/** Whether the record has stood still, as this candidate saw it, for a whole lease duration at `now`. */
export function leaseExpired(observation: LeaseObservation, now: number): boolean {
  return observation.observedAt + observation.leaseDurationMs <= now;
}
