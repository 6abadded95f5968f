import { isDigestPinned } from '@skeleton/charts';
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

/** A migration that failed, as status.failedMigration remembers it. */
export interface FailedMigration {
  job: string;
  image: string;
  message: string;
}

export interface MigrationGateInput {
  /** spec.image */
  desiredImage: string;
  migrationsEnabled: boolean;
  /**
   * status.migratedImage: the last image whose migration completed. Undefined before the first one
   * completed, or when an older operator (which did not record it) created the Deployment.
   */
  migratedImage: string | undefined;
  /** status.failedMigration */
  failedMigration: FailedMigration | undefined;
  /**
   * The image the Deployment runs now. Consulted only to adopt a Deployment an older operator created
   * (no status.migratedImage yet); never a source of approval otherwise, or `kubectl set image` would
   * bypass the gate.
   */
  runningImage: string | undefined;
  /** The operator's image policy: only images pinned by digest may roll out. */
  requireDigest: boolean;
  /** The name of the Job that migrates for the desired spec. */
  jobName: string;
  /** That Job, if it exists. */
  job: MigrationJobObservation | undefined;
}

export interface MigrationGateDecision {
  /**
   * The image the Deployment may run: the desired one once its migration succeeded (or none is
   * needed), else the last migrated one. Undefined: no Deployment may exist yet (first install,
   * migration not done).
   */
  approvedImage: string | undefined;
  /** Whether the migration Job for the desired spec should be created. */
  runJob: boolean;
  /** What status.migratedImage and status.failedMigration become. */
  record: { migratedImage: string | undefined; failedMigration: FailedMigration | undefined };
  /** MigrationSucceeded; undefined leaves it as it was (no migration was tried). */
  migration: ConditionUpdate<'MigrationSucceeded'> | undefined;
  /** Set when the release is held back: Ready and Degraded say so. */
  blocked?: { reason: 'MigrationPending' | 'MigrationFailed' | 'ImageDigestRequired'; message: string };
}

/**
 * The migration gate (GitLab's "migrations before rollout"): a new image reaches the Deployment only
 * once its migration Job completed, so the API never runs against a schema older than it expects.
 * The image that passed is recorded on the SkeletonApp's status and is the only source of the
 * Deployment's image, so a hand-edited or deleted Deployment cannot move the gate. A failed migration
 * keeps the last migrated version serving and is remembered on status, so it is not run again when
 * its Job is removed (TTL, a person); only a new spec (a new Job name, a hash of its whole template)
 * runs a new one.
 */
export function decideMigration(input: MigrationGateInput): MigrationGateDecision {
  const { desiredImage, job, jobName } = input;
  const migratedImage = input.migratedImage ?? input.runningImage;
  const serving = migratedImage === undefined ? 'Nothing is deployed yet' : `${migratedImage} keeps serving`;
  if (input.requireDigest && !isDigestPinned(desiredImage)) {
    // A tag can be moved to other content after its migration ran; a digest cannot.
    const message =
      `spec.image ${desiredImage} names a tag, and this operator requires images by digest ` +
      `(REQUIRE_IMAGE_DIGEST): use repository@sha256:<digest>. ${serving}; no migration runs.`;
    return {
      approvedImage: migratedImage,
      runJob: false,
      record: { migratedImage, failedMigration: input.failedMigration },
      migration: undefined,
      blocked: { reason: 'ImageDigestRequired', message },
    };
  }
  const succeeded = (reason: string, message: string): MigrationGateDecision => ({
    approvedImage: desiredImage,
    runJob: false,
    record: { migratedImage: desiredImage, failedMigration: undefined },
    migration: { type: 'MigrationSucceeded', status: 'True', reason, message },
  });
  if (!input.migrationsEnabled)
    return succeeded(
      'MigrationsDisabled',
      'spec.migrations.enabled is false: images roll out without a migration.',
    );
  // One verdict whether the Job is still there or already removed by its TTL, so neither the
  // rollout nor the TTL changes the status.
  if (migratedImage === desiredImage || job?.complete)
    return succeeded('MigrationComplete', `The database is migrated for ${desiredImage}.`);

  const remembered = input.failedMigration?.job === jobName ? input.failedMigration : undefined;
  if (job?.failed || remembered) {
    const cause = job?.failed ? (job.failureMessage ?? 'no reason given') : (remembered?.message ?? '');
    const message =
      `Job ${jobName} failed to migrate the database for ${desiredImage}: ${cause}. ${serving}; change ` +
      'spec.image (or the migration settings) to try again.';
    return {
      approvedImage: migratedImage,
      runJob: false,
      record: { migratedImage, failedMigration: { job: jobName, image: desiredImage, message: cause } },
      migration: { type: 'MigrationSucceeded', status: 'False', reason: 'MigrationFailed', message },
      blocked: { reason: 'MigrationFailed', message },
    };
  }
  const message = `Migrating the database for ${desiredImage} (Job ${jobName}). ${serving} until it completes.`;
  return {
    approvedImage: migratedImage,
    runJob: job === undefined,
    // A failure recorded for another Job no longer applies: this spec is a new attempt.
    record: { migratedImage, failedMigration: undefined },
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
 * migration is under way, and a failed migration or a refused image is Degraded and no longer
 * Progressing: it needs a person.
 */
export function withMigrationStatus(
  status: SkeletonAppStatus,
  gate: MigrationGateDecision,
  now: Date,
  generation: number,
  previous: SkeletonAppStatus | undefined,
): SkeletonAppStatus {
  let conditions = gate.migration
    ? setCondition(status.conditions, gate.migration, now, generation)
    : (status.conditions ?? []);
  const recorded = withRecord(status, gate.record);
  const { blocked } = gate;
  if (!blocked) return { ...recorded, conditions };
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
  if (blocked.reason !== 'MigrationPending') {
    update('Degraded', 'True', blocked.reason);
    // Nothing moves until someone changes the spec.
    update('Progressing', 'False', blocked.reason);
  } else update('Progressing', 'True', blocked.reason);
  return { ...recorded, conditions, phase: blocked.reason };
}

/** The status with the gate's memory; absent values are left out, as the API server stores them. */
function withRecord(status: SkeletonAppStatus, record: MigrationGateDecision['record']): SkeletonAppStatus {
  const { migratedImage: _migrated, failedMigration: _failed, ...rest } = status;
  return {
    ...rest,
    ...(record.migratedImage === undefined ? {} : { migratedImage: record.migratedImage }),
    ...(record.failedMigration === undefined ? {} : { failedMigration: record.failedMigration }),
  };
}
