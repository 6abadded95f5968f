import { type ConditionUpdate, setCondition } from '../status/conditions.js';
import type { SkeletonAppConditionType, SkeletonAppStatus } from '../status/skeleton-app-status.js';

/** What the operator saw of the migration Job for the desired image. */
export interface MigrationJobObservation {
  name: string;
  /** The Job's Complete condition is True. */
  complete: boolean;
  /** The Job's Failed condition is True; its message says why. */
  failed: boolean;
  failureMessage?: string;
}

export interface MigrationGateInput {
  /** spec.image */
  desiredImage: string;
  migrationsEnabled: boolean;
  /** The image the Deployment runs now; undefined before the first Deployment exists. */
  runningImage: string | undefined;
  /** The Job named for the desired image and migration settings, if it exists. */
  job: MigrationJobObservation | undefined;
}

export interface MigrationGateDecision {
  /**
   * The image the Deployment may run: the desired one once its migration succeeded (or none is
   * needed), else the one already running. Undefined: no Deployment may exist yet (first install,
   * migration not done).
   */
  approvedImage: string | undefined;
  /** Whether the migration Job for the desired image should exist (be applied). */
  runJob: boolean;
  migration: ConditionUpdate<'MigrationSucceeded'>;
  /** Set when the release is held back: Ready and Degraded say so. */
  blocked?: { reason: 'MigrationPending' | 'MigrationFailed'; message: string };
}

/**
 * The migration gate (GitLab's "migrations before rollout"): a new image reaches the Deployment only
 * once its migration Job completed, so the API never runs against a schema older than it expects.
 * A failed migration keeps the old version serving and is not retried: the Job keeps its name (a
 * hash of the image and migration settings) and is never re-created while it exists, so only a new
 * spec runs a new one. An image the Deployment already runs needs no Job, which is why a Job
 * removed by its TTL is not run again.
 */
export function decideMigration(input: MigrationGateInput): MigrationGateDecision {
  const { desiredImage, runningImage, job } = input;
  if (!input.migrationsEnabled) {
    return {
      approvedImage: desiredImage,
      runJob: false,
      migration: {
        type: 'MigrationSucceeded',
        status: 'True',
        reason: 'MigrationsDisabled',
        message: 'spec.migrations.enabled is false: images roll out without a migration.',
      },
    };
  }
  // One verdict whether the Job is still there or already removed by its TTL, so neither the
  // rollout nor the TTL changes the status.
  if (runningImage === desiredImage || job?.complete) {
    return {
      approvedImage: desiredImage,
      runJob: runningImage !== desiredImage,
      migration: {
        type: 'MigrationSucceeded',
        status: 'True',
        reason: 'MigrationComplete',
        message: `The database is migrated for ${desiredImage}.`,
      },
    };
  }
  const serving = runningImage === undefined ? 'Nothing is deployed yet' : `${runningImage} keeps serving`;
  if (job?.failed) {
    const message =
      `Job ${job.name} failed to migrate the database for ${desiredImage}: ` +
      `${job.failureMessage ?? 'no reason given'}. ${serving}; change spec.image (or the migration ` +
      'settings) to try again.';
    return {
      approvedImage: runningImage,
      runJob: true,
      migration: { type: 'MigrationSucceeded', status: 'False', reason: 'MigrationFailed', message },
      blocked: { reason: 'MigrationFailed', message },
    };
  }
  const message = `Migrating the database for ${desiredImage} (Job ${job?.name ?? 'being created'}). ${serving} until it completes.`;
  return {
    approvedImage: runningImage,
    runJob: true,
    migration: { type: 'MigrationSucceeded', status: 'False', reason: 'MigrationPending', message },
    blocked: { reason: 'MigrationPending', message },
  };
}

type JobCondition = { type?: string; status?: string; message?: string };

/** The gate's view of a live Job. */
export function observeJob(job: { metadata?: { name?: string }; status?: unknown }): MigrationJobObservation {
  const conditions = (job.status as { conditions?: JobCondition[] } | undefined)?.conditions ?? [];
  const condition = (type: string) =>
    conditions.find((candidate) => candidate.type === type && candidate.status === 'True');
  const failed = condition('Failed');
  return {
    name: job.metadata?.name ?? '',
    complete: condition('Complete') !== undefined,
    failed: failed !== undefined,
    ...(failed?.message ? { failureMessage: failed.message } : {}),
  };
}

/**
 * The status with the gate's verdict: MigrationSucceeded always; while a release is held back,
 * Ready is False with the gate's reason (the app does not serve its spec yet), Progressing says a
 * migration is under way, and a failed migration is Degraded — it needs a person.
 */
export function withMigrationStatus(
  status: SkeletonAppStatus,
  gate: MigrationGateDecision,
  now: Date,
  generation: number,
  previous: SkeletonAppStatus | undefined,
): SkeletonAppStatus {
  let conditions = setCondition(status.conditions, gate.migration, now, generation);
  const { blocked } = gate;
  if (!blocked) return { ...status, conditions };
  const update = (type: SkeletonAppConditionType, value: 'True' | 'False', reason: string) => {
    // Against the stored condition, not the verdict computeStatus just made from the Deployment: else
    // each reconcile would see a flip there and back, and move lastTransitionTime to now.
    const stored = previous?.conditions?.find((condition) => condition.type === type);
    conditions = setCondition(
      stored ? conditions.map((condition) => (condition.type === type ? stored : condition)) : conditions,
      { type, status: value, reason, message: blocked.message },
      now,
      generation,
    );
  };
  update('Ready', 'False', blocked.reason);
  if (blocked.reason === 'MigrationFailed') update('Degraded', 'True', blocked.reason);
  else update('Progressing', 'True', blocked.reason);
  return { ...status, conditions, phase: blocked.reason };
}
