import test from 'ava';
import {
  decideMigration,
  type MigrationGateInput,
  observeJob,
  withMigrationStatus,
} from '../src/reconcile/migration-gate.js';
import { findCondition } from '../src/status/conditions.js';
import type { SkeletonAppStatus } from '../src/status/skeleton-app-status.js';

const OLD = 'registry.example.com/api:1.0.0';
const NEW = 'registry.example.com/api:2.0.0';
const PINNED = `registry.example.com/api@sha256:${'a'.repeat(64)}`;
const JOB = 'accounts-migrate-0123456789';
const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:10:00Z');

const gate = (overrides: Partial<MigrationGateInput> = {}) =>
  decideMigration({
    desiredImage: NEW,
    migrationsEnabled: true,
    migratedImage: OLD,
    failedMigration: undefined,
    runningImage: OLD,
    requireDigest: false,
    jobName: JOB,
    job: undefined,
    ...overrides,
  });

const running = { name: JOB, complete: false, failed: false };
const failedJob = { name: JOB, complete: false, failed: true, failureMessage: 'BackoffLimitExceeded' };

test('migrations disabled: the desired image is approved at once and recorded as migrated', (t) => {
  const decision = gate({ migrationsEnabled: false });
  t.like(decision, { approvedImage: NEW, runJob: false, blocked: undefined });
  t.deepEqual(decision.record, { migratedImage: NEW, failedMigration: undefined });
  t.like(decision.migration, { status: 'True', reason: 'MigrationsDisabled' });
});

test('a new image: its Job is created once, the last migrated image serves meanwhile', (t) => {
  const first = gate();
  t.like(first, { approvedImage: OLD, runJob: true });
  t.like(first.blocked, { reason: 'MigrationPending' });
  t.like(first.migration, { status: 'False', reason: 'MigrationPending' });
  t.regex(first.migration?.message ?? '', new RegExp(`Job ${JOB}\\). ${OLD} keeps serving`));
  t.deepEqual(first.record, { migratedImage: OLD, failedMigration: undefined });
  const whileRunning = gate({ job: running });
  t.like(whileRunning, { approvedImage: OLD, runJob: false }, 'a Job is create-only: never applied again');
  t.like(whileRunning.blocked, { reason: 'MigrationPending' });
});

test('a completed Job approves the desired image and records it; no Job is needed afterwards', (t) => {
  const done = gate({ job: { ...running, complete: true } });
  t.like(done, { approvedImage: NEW, runJob: false, blocked: undefined });
  t.deepEqual(done.record, { migratedImage: NEW, failedMigration: undefined });
  t.like(done.migration, { status: 'True', reason: 'MigrationComplete' });
  const later = gate({ migratedImage: NEW, runningImage: NEW });
  t.like(later, { approvedImage: NEW, runJob: false, blocked: undefined });
});

test('the image the Deployment runs approves nothing once status records a migrated image', (t) => {
  const bypass = gate({ runningImage: NEW });
  t.like(bypass, { approvedImage: OLD, runJob: true });
  t.like(bypass.blocked, { reason: 'MigrationPending' });
});

test('a Deployment of an older operator (no migratedImage on status) is adopted with its image', (t) => {
  t.like(gate({ migratedImage: undefined, runningImage: NEW }), { approvedImage: NEW, runJob: false });
  const first = gate({ migratedImage: undefined, runningImage: undefined });
  t.like(first, { approvedImage: undefined, runJob: true });
  t.regex(first.migration?.message ?? '', /Nothing is deployed yet/);
});

test('a failed Job holds the release, is remembered on status and is not run again', (t) => {
  const failed = gate({ job: failedJob });
  t.like(failed, { approvedImage: OLD, runJob: false });
  t.like(failed.blocked, { reason: 'MigrationFailed' });
  t.deepEqual(failed.record, {
    migratedImage: OLD,
    failedMigration: { job: JOB, image: NEW, message: 'BackoffLimitExceeded' },
  });
  t.regex(
    failed.migration?.message ?? '',
    /failed to migrate the database for .*2\.0\.0: BackoffLimitExceeded\./,
  );
  t.true(failed.migration?.message.endsWith('change spec.image (or the migration settings) to try again.'));
  const afterTtl = gate({ job: undefined, failedMigration: failed.record.failedMigration });
  t.like(afterTtl, { approvedImage: OLD, runJob: false });
  t.like(afterTtl.blocked, { reason: 'MigrationFailed' });
  t.deepEqual(afterTtl.record, failed.record);
  t.regex(afterTtl.migration?.message ?? '', /2\.0\.0: BackoffLimitExceeded\./, 'the remembered reason');
  t.regex(
    gate({ job: { ...failedJob, failureMessage: undefined } }).migration?.message ?? '',
    /no reason given/,
  );
});

test('a failure remembered for another Job does not hold a new spec, and is cleared', (t) => {
  const other = { job: 'accounts-migrate-ffffffffff', image: NEW, message: 'x' };
  const retry = gate({ failedMigration: other });
  t.like(retry, { runJob: true });
  t.like(retry.blocked, { reason: 'MigrationPending' });
  t.is(retry.record.failedMigration, undefined);
  t.is(
    gate({ failedMigration: other, job: { ...running, complete: true } }).record.failedMigration,
    undefined,
  );
});

test('the digest policy refuses a tag with a clear reason, and lets a digest through', (t) => {
  const refused = gate({ requireDigest: true });
  t.like(refused, { approvedImage: OLD, runJob: false });
  t.like(refused.blocked, { reason: 'ImageDigestRequired' });
  t.is(refused.migration, undefined, 'no migration was tried: MigrationSucceeded stays as it was');
  t.deepEqual(refused.record, { migratedImage: OLD, failedMigration: undefined }, 'status memory untouched');
  const remembered = { job: JOB, image: NEW, message: 'deadline' };
  t.deepEqual(gate({ requireDigest: true, failedMigration: remembered }).record.failedMigration, remembered);
  t.regex(refused.blocked?.message ?? '', /names a tag.*repository@sha256:<digest>/);
  t.like(gate({ requireDigest: true, desiredImage: PINNED }), { runJob: true });
  t.like(gate({ requireDigest: false }), { runJob: true });
});

test('observeJob reads the True conditions only: a running Job is neither complete nor failed', (t) => {
  const job = (conditions: object[]) => observeJob({ metadata: { name: JOB }, status: { conditions } });
  t.deepEqual(job([]), { name: JOB, complete: false, failed: false });
  t.deepEqual(
    job([
      { type: 'Failed', status: 'False' },
      { type: 'Complete', status: 'False' },
    ]),
    { name: JOB, complete: false, failed: false },
  );
  t.deepEqual(job([{ type: 'Complete', status: 'True' }]), { name: JOB, complete: true, failed: false });
  t.deepEqual(job([{ type: 'Failed', status: 'True', message: 'deadline' }]), {
    name: JOB,
    complete: false,
    failed: true,
    failureMessage: 'deadline',
  });
  t.deepEqual(observeJob({}), { name: '', complete: false, failed: false });
});

const computed: SkeletonAppStatus = {
  observedGeneration: 3,
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'Available',
      message: '2 ready',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
    {
      type: 'Progressing',
      status: 'False',
      reason: 'RolloutComplete',
      message: 'done',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
  ],
  migratedImage: 'stale',
};

const condition = (
  status: SkeletonAppStatus,
  type: 'Ready' | 'Progressing' | 'Degraded' | 'MigrationSucceeded',
) => findCondition(status.conditions, type);

test('withMigrationStatus: a pending migration is Progressing and not Ready, and records the gate', (t) => {
  const status = withMigrationStatus(computed, gate(), T0, 3, undefined);
  t.like(condition(status, 'Ready'), { status: 'False', reason: 'MigrationPending' });
  t.like(condition(status, 'Progressing'), { status: 'True', reason: 'MigrationPending' });
  t.like(condition(status, 'MigrationSucceeded'), { status: 'False', reason: 'MigrationPending' });
  t.is(condition(status, 'Degraded'), undefined);
  t.is(status.phase, 'MigrationPending');
  t.is(status.migratedImage, OLD);
  t.false('failedMigration' in status);
});

test('withMigrationStatus: a failed migration or a refused image is Degraded and not Progressing', (t) => {
  for (const decision of [gate({ job: failedJob }), gate({ requireDigest: true })]) {
    const reason = decision.blocked?.reason;
    const status = withMigrationStatus(computed, decision, T0, 3, undefined);
    t.like(condition(status, 'Ready'), { status: 'False', reason });
    t.like(condition(status, 'Degraded'), { status: 'True', reason });
    t.like(condition(status, 'Progressing'), { status: 'False', reason });
    t.is(status.phase, reason);
  }
  const refused = withMigrationStatus(computed, gate({ requireDigest: true }), T0, 3, undefined);
  t.is(condition(refused, 'MigrationSucceeded'), undefined, 'no migration was tried');
  t.deepEqual(withMigrationStatus(computed, gate({ job: failedJob }), T0, 3, undefined).failedMigration, {
    job: JOB,
    image: NEW,
    message: 'BackoffLimitExceeded',
  });
});

test('withMigrationStatus: an approved release leaves the computed conditions alone', (t) => {
  const status = withMigrationStatus(computed, gate({ migratedImage: NEW }), T0, 3, undefined);
  t.like(condition(status, 'Ready'), { status: 'True', reason: 'Available' });
  t.like(condition(status, 'MigrationSucceeded'), { status: 'True', reason: 'MigrationComplete' });
  t.is(status.migratedImage, NEW);
  const withoutRecord = withMigrationStatus(
    computed,
    { ...gate({ migratedImage: undefined, runningImage: undefined }), blocked: undefined },
    T0,
    3,
    undefined,
  );
  t.false('migratedImage' in withoutRecord, 'an unknown migrated image is left out, not stored as undefined');
});

test('withMigrationStatus: a held release keeps its lastTransitionTime across reconciles', (t) => {
  const first = withMigrationStatus(computed, gate(), T0, 3, undefined);
  const second = withMigrationStatus(computed, gate(), T1, 3, first);
  t.is(condition(second, 'Ready')?.lastTransitionTime, condition(first, 'Ready')?.lastTransitionTime);
  t.is(
    condition(second, 'Progressing')?.lastTransitionTime,
    condition(first, 'Progressing')?.lastTransitionTime,
  );
});
