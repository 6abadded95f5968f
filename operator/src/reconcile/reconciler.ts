import { type KubernetesObject, migrationJobName, type SkeletonAppSpec } from '@skeleton/charts';
import type { EventSubject, EventType } from '../events/event-recorder.js';
import { planKeyRotation, rotationPolicy } from '../keys/key-rotation.js';
import { decideKeySet, type KeySetDecision } from '../keys/key-set-decision.js';
import {
  keySetSecret,
  readKeySetSecret,
  type StoredKeySet,
  type StoredSecret,
} from '../keys/key-set-secret.js';
import { rotationEvent, withKeyStatus, withLostKeySet } from '../keys/key-status.js';
import { generateSigningKey } from '../keys/signing-key.js';
import { SKELETON_APP_KIND } from '../kube/owned-kinds.js';
import type { ReconcileOutcome } from '../queue/work-queue.js';
import {
  computeStatus,
  findStatusCondition,
  type SkeletonAppStatus,
  statusChanged,
} from '../status/skeleton-app-status.js';
import {
  type ApplyOutcome,
  applyOutcome,
  desiredObjects,
  isUpToDate,
  keySetSecretName,
  parseSpec,
  type SkeletonAppObject,
} from './desired-state.js';
import { invalidSpecStatus } from './invalid-spec.js';
import { decideMigration, observeJob, withMigrationStatus } from './migration-gate.js';
import { observeDeployment } from './observe.js';
import { ReconcileStepError, reconcileErrorStatus } from './reconcile-error.js';

/**
 * The finalizer operators before this one put on every SkeletonApp. It guarded nothing (the children
 * go by garbage collection through their ownerReferences) but made deleting an app, its namespace or
 * the CRD hang while the operator was down, so it is now only removed where found.
 */
export const LEGACY_FINALIZER = 'platform.skeleton.dev/finalizer';

/** A child as cached: whatever the API server returned, read defensively. */
export interface Live {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    /** A string from a watch, a Date from client-node's typed list. */
    creationTimestamp?: string | Date;
  };
  spec?: unknown;
  status?: unknown;
}

type KindRef = { apiVersion: string; kind: string };

/** A cached child with its kind (list items do not carry one). */
export interface OwnedChild {
  kind: KindRef;
  object: Live;
}

/** Reads, from the caches the watches keep. */
export interface ClusterView {
  app(namespace: string, name: string): SkeletonAppObject | undefined;
  child(kind: KindRef, namespace: string, name: string): Live | undefined;
  /** Every cached child in `namespace` whose controller is the app with this uid. */
  owned(namespace: string, ownerUid: string): OwnedChild[];
  /** A key-set Secret from its label-selected watch; undefined if absent. */
  secret(namespace: string, name: string): StoredSecret | undefined;
  /** The last readable key set the watch saw for the app with this uid, kept after the Secret is gone. */
  keySetCopy(appUid: string): StoredKeySet | undefined;
}

/** Writes; each returns the object as the API server stored it. `signal` aborts the request. */
export interface ClusterWriter {
  /** Server-side apply, by the operator's field manager unless another is named. */
  apply(object: KubernetesObject, signal: AbortSignal, fieldManager?: string): Promise<unknown>;
  /** Creates the key-set Secret (resourceVersion undefined) or replaces it at that resourceVersion. */
  writeKeySet(
    secret: KubernetesObject,
    resourceVersion: string | undefined,
    signal: AbortSignal,
  ): Promise<unknown>;
  /** Deletes exactly this object (its uid is a precondition), leaving its dependents to the GC. */
  remove(kind: KindRef, object: OwnedChild['object'], signal: AbortSignal): Promise<void>;
  setFinalizers(
    app: SkeletonAppObject,
    finalizers: string[],
    signal: AbortSignal,
  ): Promise<SkeletonAppObject>;
  patchStatus(
    app: SkeletonAppObject,
    previous: SkeletonAppStatus | undefined,
    next: SkeletonAppStatus,
    signal: AbortSignal,
  ): Promise<unknown>;
}

export type RotationTiming = Parameters<typeof rotationPolicy>[1];

export interface ReconcilerDeps {
  view: ClusterView;
  writer: ClusterWriter;
  events: {
    record(
      subject: EventSubject,
      type: EventType,
      reason: string,
      note: string,
      signal: AbortSignal,
    ): Promise<unknown>;
    forget(subject: { namespace: string; name: string }): void;
  };
  /** Whether the monitoring.coreos.com ServiceMonitor API is served right now. */
  serviceMonitorAvailable(): boolean;
  /** What the key rotation waits for besides the spec's durations. */
  rotationTiming: RotationTiming;
  clock(): Date;
  log(level: 'info' | 'warn' | 'debug', msg: string, fields: Record<string, unknown>): void;
  /** The image policy: only images pinned by digest may roll out (REQUIRE_IMAGE_DIGEST). */
  requireImageDigest?: boolean;
  /** Told of every child apply and what it did (the child-applies metric). */
  applied?(kind: string, outcome: ApplyOutcome): void;
}

const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };
const JOB = { apiVersion: 'batch/v1', kind: 'Job' };

/** Migration Jobs kept (the newest), besides the current one, for their logs and status. */
export const MIGRATION_JOBS_KEPT = 3;

/**
 * The field manager that holds a new Deployment's replica count. The operator's own applies leave the
 * count out (the autoscaler owns it), so a Deployment would start at the API server's default of 1;
 * created with spec.replicas.min and handed to this manager at once, the count stays when the
 * operator's next apply drops it, until the autoscaler takes it over.
 */
export const INITIAL_REPLICAS_MANAGER = 'skeleton-operator-initial-replicas';

function withReplicas(deployment: KubernetesObject, replicas: number): KubernetesObject {
  const { spec } = deployment as KubernetesObject & { spec?: object };
  return { ...deployment, spec: { ...spec, replicas } } as KubernetesObject;
}

function replicasOnly(deployment: KubernetesObject, replicas: number): KubernetesObject {
  const { apiVersion, kind, metadata } = deployment;
  return {
    apiVersion,
    kind,
    metadata: { name: metadata.name, namespace: metadata.namespace },
    spec: { replicas },
  } as KubernetesObject;
}

/** Runs one write of a reconcile, naming it in the error a person reads on status. */
async function step<T>(name: string, write: () => Promise<T>, keySet = false): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw new ReconcileStepError(name, error, keySet);
  }
}

const createdAt = (object: Live) => new Date(object.metadata?.creationTimestamp ?? 0).getTime() || 0;

function subjectOf(app: SkeletonAppObject, namespace: string, name: string): EventSubject {
  return {
    apiVersion: SKELETON_APP_KIND.apiVersion,
    kind: SKELETON_APP_KIND.kind,
    name,
    namespace,
    ...(app.metadata?.uid ? { uid: app.metadata.uid } : {}),
  };
}

/**
 * The level-based reconcile of one SkeletonApp (`namespace/name`): whatever happened before, it
 * compares the world with the spec and closes the gap. Reads come from the watch caches; a write
 * happens only for what differs, so an unchanged world costs nothing but CPU.
 */
export function createReconciler(deps: ReconcilerDeps) {
  const { view, writer, events, log } = deps;

  /** The resourceVersion each child had when our last apply returned it (see isUpToDate). */
  const appliedVersions = new Map<string, string>();

  /** Applies what is missing, differs or was changed by someone else; returns the children it changed. */
  async function applyChildren(
    desired: KubernetesObject[],
    namespace: string,
    initialReplicas: number,
    signal: AbortSignal,
  ): Promise<string[]> {
    const written: string[] = [];
    for (const object of desired) {
      const key = `${object.apiVersion}/${object.kind}/${namespace}/${object.metadata.name}`;
      const live = view.child(object, namespace, object.metadata.name);
      if (isUpToDate(object, live, appliedVersions.get(key))) continue;
      const creating = live === undefined && object.kind === 'Deployment';
      const stored = (await step(`Applying ${object.kind}/${object.metadata.name}`, () =>
        writer.apply(creating ? withReplicas(object, initialReplicas) : object, signal),
      )) as Live | undefined;
      if (creating)
        await step(`Handing the replica count of ${object.metadata.name} over`, () =>
          writer.apply(replicasOnly(object, initialReplicas), signal, INITIAL_REPLICAS_MANAGER),
        );
      const version = stored?.metadata?.resourceVersion;
      if (version) appliedVersions.set(key, version);
      const outcome = applyOutcome(object, live, version);
      deps.applied?.(object.kind, outcome);
      if (outcome === 'drift_corrected')
        log('info', 'a child changed by someone else was put back', {
          namespace,
          kind: object.kind,
          name: object.metadata.name,
        });
      if (outcome !== 'unchanged') written.push(`${object.kind}/${object.metadata.name}`);
    }
    return written;
  }

  /**
   * Removes what the spec no longer asks for (a disabled PodDisruptionBudget, NetworkPolicy or
   * ServiceMonitor, a ConfigMap without settings). Of the migration Jobs, the current one and the
   * newest few are kept, since their logs and status say what ran (ttlSecondsAfterFinished removes
   * them later anyway).
   */
  async function prune(
    desired: KubernetesObject[],
    namespace: string,
    uid: string,
    currentJob: string,
    signal: AbortSignal,
  ): Promise<string[]> {
    const wanted = new Set(desired.map((object) => `${object.kind}/${object.metadata.name}`));
    const owned = view.owned(namespace, uid);
    const jobs = owned
      .filter(({ kind }) => kind.kind === 'Job')
      .sort((a, b) => createdAt(b.object) - createdAt(a.object));
    const keptJobs = new Set([
      currentJob,
      ...jobs.slice(0, MIGRATION_JOBS_KEPT).map(({ object }) => object.metadata?.name),
    ]);
    const removed: string[] = [];
    for (const { kind, object } of owned) {
      const id = `${kind.kind}/${object.metadata?.name}`;
      if (kind.kind === 'Job' ? keptJobs.has(object.metadata?.name ?? '') : wanted.has(id)) continue;
      await step(`Removing ${id}`, () => writer.remove(kind, object, signal));
      removed.push(id);
    }
    return removed;
  }

  /**
   * One step of the signing-key rotation, if one is due: the key set lives in a Secret the app
   * owns, and every decision is taken from that Secret (or the copy of it the watch kept) and the
   * clock alone, so a restart in the middle of a rotation continues it. The Secret is created only
   * when absent and replaced only at the resourceVersion it was read at, so two replicas around a
   * leader handover cannot each write a different current key. Its content is never logged.
   */
  async function rotateKeys(
    app: SkeletonAppObject & { metadata?: { annotations?: Record<string, string> } },
    namespace: string,
    name: string,
    spec: SkeletonAppSpec,
    subject: EventSubject,
    everExisted: boolean,
    signal: AbortSignal,
  ): Promise<KeySetDecision> {
    const secretName = keySetSecretName(name);
    const secret = view.secret(namespace, secretName);
    const decision = decideKeySet({
      secret,
      copy: view.keySetCopy(app.metadata?.uid ?? ''),
      everExisted,
      appAnnotations: app.metadata?.annotations,
      plan: (stored, rotationRequested) =>
        planKeyRotation({
          stored,
          now: deps.clock(),
          policy: rotationPolicy(spec.jwt, deps.rotationTiming),
          rotationRequested,
          generate: generateSigningKey,
        }),
    });
    if (decision.kind === 'lost') {
      log('warn', 'the key-set Secret is lost and no copy is held; waiting for a person', {
        namespace,
        name,
        damage: decision.damage,
      });
      return decision;
    }
    if (!decision.write) return decision;
    const { plan, restored } = decision;
    const wanted = keySetSecret(
      { name, namespace, uid: app.metadata?.uid ?? '', image: spec.image },
      plan.document,
      decision.handledRequest,
    );
    await step(
      `Writing the key-set Secret ${secretName}`,
      () => writer.writeKeySet(wanted, secret?.metadata?.resourceVersion, signal),
      true,
    );
    if (restored) {
      log('warn', 'the key-set Secret was restored with the same keys', {
        namespace,
        name,
        damage: restored,
      });
      await events.record(
        subject,
        'Warning',
        'KeySetRestored',
        `The key-set Secret ${secretName} was ${restored}; it was restored with the same keys, so no one is signed out.`,
        signal,
      );
    } else if (secret && !readKeySetSecret(secret).document) {
      log('warn', 'the key-set Secret cannot be read; a new key set replaces it', { namespace, name });
    }
    log('info', 'key set updated', { namespace, name, action: plan.action, currentKid: plan.currentKid });
    const event = rotationEvent(plan);
    if (event) await events.record(subject, 'Normal', event.reason, event.note, signal);
    return decision;
  }

  async function announce(
    subject: EventSubject,
    previous: SkeletonAppStatus | undefined,
    next: SkeletonAppStatus,
    signal: AbortSignal,
  ): Promise<void> {
    const before = (type: Parameters<typeof findStatusCondition>[1]) => findStatusCondition(previous, type);
    const after = (type: Parameters<typeof findStatusCondition>[1]) => findStatusCondition(next, type);
    const ready = after('Ready');
    if (ready && ready.status !== before('Ready')?.status) {
      if (ready.status === 'True') await events.record(subject, 'Normal', 'Ready', ready.message, signal);
      else if (before('Ready')?.status === 'True')
        await events.record(subject, 'Warning', 'NotReady', `${ready.reason}: ${ready.message}`, signal);
    }
    const degraded = after('Degraded');
    if (degraded?.status === 'True' && before('Degraded')?.status !== 'True')
      await events.record(subject, 'Warning', degraded.reason, degraded.message, signal);
    const monitoring = after('MonitoringAvailable');
    if (monitoring && monitoring.reason !== before('MonitoringAvailable')?.reason) {
      if (monitoring.reason === 'ServiceMonitorAPIMissing')
        await events.record(subject, 'Warning', monitoring.reason, monitoring.message, signal);
    }
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileOutcome> {
    const [namespace = '', name = ''] = key.split('/');
    let app = view.app(namespace, name);
    if (!app) {
      events.forget({ namespace, name });
      return undefined;
    }
    const finalizers = app.metadata?.finalizers ?? [];
    if (finalizers.includes(LEGACY_FINALIZER)) {
      const kept = finalizers.filter((finalizer) => finalizer !== LEGACY_FINALIZER);
      const current = app;
      app = await step('Removing the legacy finalizer', () => writer.setFinalizers(current, kept, signal));
      log('info', 'removed the finalizer an older operator added', { namespace, name });
    }
    // The children carry ownerReferences: the garbage collector removes them once the app is gone.
    if (app.metadata?.deletionTimestamp) {
      events.forget({ namespace, name });
      return undefined;
    }

    const subject = subjectOf(app, namespace, name);
    const generation = app.metadata?.generation ?? 1;
    const previous = app.status as SkeletonAppStatus | undefined;
    const parsed = parseSpec(app);
    if (!parsed.ok) {
      const next = invalidSpecStatus(previous, generation, parsed.problems, deps.clock());
      if (statusChanged(previous, next)) {
        await writer.patchStatus(app, previous, next, signal);
        await announce(subject, previous, next, signal);
      }
      return undefined;
    }

    try {
      return await converge(app, namespace, name, parsed.spec, subject, generation, previous, signal);
    } catch (error) {
      if (error instanceof ReconcileStepError && error.needsAPerson)
        await reportFailure(app, subject, generation, previous, error, signal);
      throw error;
    }
  }

  /** Tells the app's status (and events) that a write was refused; the queue retries with back-off. */
  async function reportFailure(
    app: SkeletonAppObject,
    subject: EventSubject,
    generation: number,
    previous: SkeletonAppStatus | undefined,
    error: ReconcileStepError,
    signal: AbortSignal,
  ): Promise<void> {
    const next = reconcileErrorStatus(previous, generation, error, deps.clock());
    if (!statusChanged(previous, next)) return;
    try {
      await writer.patchStatus(app, previous, next, signal);
      await announce(subject, previous, next, signal);
    } catch (statusError) {
      log('warn', 'the failure could not be written to status', {
        namespace: app.metadata?.namespace,
        name: app.metadata?.name,
        error: String(statusError),
      });
    }
  }

  /** Brings the children, the key set and the status in line with a valid spec. */
  async function converge(
    app: SkeletonAppObject,
    namespace: string,
    name: string,
    spec: SkeletonAppSpec,
    subject: EventSubject,
    generation: number,
    previous: SkeletonAppStatus | undefined,
    signal: AbortSignal,
  ): Promise<ReconcileOutcome> {
    // Before the Deployment: its pods mount the key set.
    const keys = await rotateKeys(
      app,
      namespace,
      name,
      spec,
      subject,
      previous?.currentKeyId !== undefined,
      signal,
    );
    const monitoringAvailable = deps.serviceMonitorAvailable();
    const jobName = migrationJobName(name, spec);
    const live = view.child(DEPLOYMENT, namespace, name);
    const job = view.child(JOB, namespace, jobName);
    const gate = decideMigration({
      desiredImage: spec.image,
      migrationsEnabled: spec.migrations.enabled,
      migratedImage: previous?.migratedImage,
      failedMigration: previous?.failedMigration,
      runningImage: live ? observeDeployment(live).image : undefined,
      requireDigest: deps.requireImageDigest ?? false,
      jobName,
      job: job ? observeJob(job) : undefined,
    });
    const desired = desiredObjects({ name, namespace, uid: app.metadata?.uid ?? '' }, spec, {
      approvedImage: gate.approvedImage ?? spec.image,
      serviceMonitorAvailable: monitoringAvailable,
    }).filter(
      (object) =>
        (object.kind !== 'Job' || gate.runJob) &&
        (object.kind !== 'Deployment' || gate.approvedImage !== undefined),
    );
    const written = await applyChildren(desired, namespace, spec.replicas.min, signal);
    if (written.length > 0) {
      log('info', 'applied', { namespace, name, objects: written });
      await events.record(subject, 'Normal', 'Applied', `Applied ${written.join(', ')}.`, signal);
    }
    const removed = await prune(desired, namespace, app.metadata?.uid ?? '', jobName, signal);
    if (removed.length > 0) {
      log('info', 'removed what the spec no longer asks for', { namespace, name, objects: removed });
      await events.record(
        subject,
        'Normal',
        'Removed',
        `Removed ${removed.join(', ')}: the spec no longer asks for them.`,
        signal,
      );
    }

    const deployment = view.child(DEPLOYMENT, namespace, name);
    const now = deps.clock();
    const computed = withMigrationStatus(
      computeStatus(
        {
          generation,
          previous,
          desiredImage: spec.image,
          ...(deployment ? { deployment: observeDeployment(deployment) } : {}),
          expectedReplicas: spec.replicas.min,
          monitoring: {
            requested: spec.monitoring.serviceMonitor.enabled,
            apiAvailable: monitoringAvailable,
          },
        },
        now,
      ),
      gate,
      now,
      generation,
      previous,
    );
    const next =
      keys.kind === 'plan'
        ? withKeyStatus(computed, keys, now, generation)
        : withLostKeySet(computed, keySetSecretName(name), keys.damage, now, generation);
    if (statusChanged(previous, next)) {
      await writer.patchStatus(app, previous, next, signal);
      await announce(subject, previous, next, signal);
    }
    // The next rotation step is timed work: come back exactly then, rather than poll. A lost key set
    // waits for a person; the Secret's watch brings the app back when it is restored.
    return keys.kind === 'plan' ? { requeueAfterMs: requeueDelay(keys.plan.nextActionAt, now) } : undefined;
  }

  return reconcile;
}

/** Never sooner than a second (no busy loop), never later than a day (timers cap at ~24.8 days). */
export function requeueDelay(at: Date, now: Date): number {
  return Math.min(Math.max(at.getTime() - now.getTime(), 1_000), 86_400_000);
}

export type Reconcile = ReturnType<typeof createReconciler>;
