import { V1MicroTime } from '@kubernetes/client-node';
import test from 'ava';
import { leaseExpired, observeLease } from '../src/lease-observation.js';

/** lease-observation: when a candidate may presume a Lease's holder gone, by its own clock only. */

const record = (renewTime: string, holderIdentity = 'a') => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  acquireTime: '2025-01-01T00:00:00.000000Z',
  renewTime,
  leaseTransitions: 2,
});

test('a record first seen is observed now, for its own leaseDurationSeconds', (t) => {
  const observation = observeLease(undefined, record('2025-01-01T00:00:10.000000Z'), 1_000, 4_000);
  t.is(observation.observedAt, 1_000);
  t.is(observation.leaseDurationMs, 15_000);
  t.false(leaseExpired(observation, 15_999));
  t.true(leaseExpired(observation, 16_000));
});

test('the same record read again keeps the time it was first seen', (t) => {
  const first = observeLease(undefined, record('2025-01-01T00:00:10.000000Z'), 1_000, 4_000);
  const again = observeLease(first, record('2025-01-01T00:00:10.000000Z'), 9_000, 4_000);
  t.is(again.observedAt, 1_000);
  t.true(leaseExpired(again, 16_000));
});

test('a renewal restarts the wait, whatever its renewTime says', (t) => {
  const first = observeLease(undefined, record('2025-01-01T00:00:10.000000Z'), 1_000, 4_000);
  // A renewTime an hour in the past, as a holder with a slow clock writes it: still a renewal.
  const renewed = observeLease(first, record('2024-12-31T23:00:12.000000Z'), 12_000, 4_000);
  t.is(renewed.observedAt, 12_000);
  t.false(leaseExpired(renewed, 16_000));
  t.true(leaseExpired(renewed, 27_000));
});

test('any change of the record counts: holder, duration, transitions or times', (t) => {
  const base = record('2025-01-01T00:00:10.000000Z');
  const first = observeLease(undefined, base, 0, 4_000);
  for (const changed of [
    { ...base, holderIdentity: 'b' },
    { ...base, leaseDurationSeconds: 16 },
    { ...base, leaseTransitions: 3 },
    { ...base, acquireTime: '2025-01-01T00:00:01.000000Z' },
  ])
    t.is(observeLease(first, changed, 5_000, 4_000).observedAt, 5_000, JSON.stringify(changed));
});

test('a MicroTime given as the client model or as the wire string is the same record', (t) => {
  const millis = Date.parse('2025-01-01T00:00:10.000Z');
  const asString = observeLease(undefined, record('2025-01-01T00:00:10.000000Z'), 0, 4_000);
  const asModel = observeLease(asString, { ...record(''), renewTime: new V1MicroTime(millis) }, 5_000, 4_000);
  t.is(asModel.observedAt, 0);
});

test('a record without leaseDurationSeconds lasts the candidate’s own lease duration', (t) => {
  const observation = observeLease(undefined, { holderIdentity: 'a' }, 0, 4_000);
  t.is(observation.leaseDurationMs, 4_000);
  t.false(leaseExpired(observation, 3_999));
  t.true(leaseExpired(observation, 4_000));
});
