/**
 * Computes a SkeletonApp's `.status` from what the operator observed. Pure: no I/O, the clock is
 * passed in, and the same observation yields a deep-equal status (no timestamp churn), so the
 * reconciler can compare with {@link statusChanged} and skip the /status write.
 */

import type { CONDITION_TYPES, SkeletonAppStatus as SchemaStatus } from '@skeleton/charts';
import { type Condition, type ConditionUpdate, findCondition, setCondition } from './conditions.js';

export type SkeletonAppConditionType = (typeof CONDITION_TYPES)[number];
export type SkeletonAppCondition = Condition<SkeletonAppConditionType>;

/** The status as charts defines it, with conditions typed as this module writes them. */
export type SkeletonAppStatus = Omit<SchemaStatus, 'conditions'> & { conditions?: SkeletonAppCondition[] };

/** A condition as the Deployment controller reports it (status.conditions of apps/v1 Deployment). */
export interface DeploymentConditionObservation {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The parts of the owned Deployment that the status is computed from. */
export interface DeploymentObservation {
  /** metadata.generation */
  generation?: number;
  /** status.observedGeneration */
  observedGeneration?: number;
  /** status.replicas: pods of all ReplicaSets, old ones included. */
  replicas?: number;
  readyReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  conditions?: DeploymentConditionObservation[];
  /** The app container's image in the Deployment's pod template. */
  image?: string;
}

export interface StatusInput {
  /** The SkeletonApp's metadata.generation. */
  generation: number;
  /** The status currently stored on the SkeletonApp, if any. */
  previous?: SkeletonAppStatus;
  /** The image the spec asks for. */
  desiredImage: string;
  /** The owned Deployment; absent until it has been created (or seen by the informer). */
  deployment?: DeploymentObservation;
  /** The replica count to wait for: the HPA's minimum when autoscaling, else spec.replicas. */
  expectedReplicas: number;
  monitoring: { requested: boolean; apiAvailable: boolean };
}

/** Ready's reasons; the one in effect is also `phase`, the STATUS printer column. */
export const READY_REASONS = {
  available: 'Available',
  deploymentMissing: 'DeploymentMissing',
  degraded: 'Degraded',
  rollingOut: 'RollingOut',
  noReadyReplicas: 'NoReadyReplicas',
  unavailable: 'DeploymentUnavailable',
} as const;

const SERVICE_MONITOR_API_MISSING_MESSAGE =
  'spec.monitoring.serviceMonitor is enabled but the monitoring.coreos.com/v1 ServiceMonitor API is not served by ' +
  'this cluster. Install the Prometheus Operator CRDs (for example with the kube-prometheus-stack or ' +
  'prometheus-operator-crds Helm chart); the operator watches for the API and will create the ServiceMonitor ' +
  'once it appears, without a restart.';

function deploymentCondition(
  deployment: DeploymentObservation,
  type: string,
): DeploymentConditionObservation | undefined {
  return deployment.conditions?.find((c) => c.type === type);
}

interface Rollout {
  /** The Deployment controller has seen the latest pod template / replica count. */
  observed: boolean;
  /** The replica counts are complete for the latest template, whatever image it names. */
  finished: boolean;
  /** Still moving towards the desired state: not finished, or not on the desired image. */
  inProgress: boolean;
  readyReplicas: number;
  /** Set when the Deployment's template names another image than the desired one. */
  otherImage?: string;
}

/**
 * Whether the rollout is still in progress. It is when:
 * - the Deployment controller has not observed the latest Deployment generation: until it has,
 *   every replica count in its status describes the previous template and cannot be trusted;
 * - fewer replicas than expected run the new template (updatedReplicas), are ready, or have been
 *   ready for minReadySeconds (availableReplicas): the new version is not fully serving yet;
 * - pods of old ReplicaSets remain (replicas > updatedReplicas): the old version is still
 *   receiving traffic. This is the check `kubectl rollout status` makes too;
 * - the template names another image than the desired one: the desired version is not deployed yet.
 * A Deployment without metadata.generation (never the case from a real API server) is treated as
 * observed, since there is nothing to compare against.
 */
function assessRollout(
  deployment: DeploymentObservation,
  expectedReplicas: number,
  desiredImage: string,
): Rollout {
  const observed =
    deployment.generation === undefined || (deployment.observedGeneration ?? -1) >= deployment.generation;
  const updated = deployment.updatedReplicas ?? 0;
  const ready = deployment.readyReplicas ?? 0;
  const available = deployment.availableReplicas ?? 0;
  const oldReplicasRemain = deployment.replicas !== undefined && deployment.replicas > updated;
  const finished =
    observed &&
    updated >= expectedReplicas &&
    ready >= expectedReplicas &&
    available >= expectedReplicas &&
    !oldReplicasRemain;
  const otherImage =
    deployment.image !== undefined && deployment.image !== desiredImage ? deployment.image : undefined;
  return {
    observed,
    finished,
    inProgress: !finished || otherImage !== undefined,
    readyReplicas: ready,
    ...(otherImage === undefined ? {} : { otherImage }),
  };
}

/**
 * Progressing says whether the app is moving towards its spec.
 * - Unknown/DeploymentMissing without a Deployment: nothing can be said about a rollout that has
 *   no object yet, and False would wrongly read as "done".
 * - True/RollingOut while the rollout is in progress (see {@link assessRollout}).
 * - False/RolloutComplete when it is done, the usual "settled" value in Kubernetes.
 */
function progressingCondition(
  deployment: DeploymentObservation | undefined,
  rollout: Rollout | undefined,
  expectedReplicas: number,
  desiredImage: string,
): ConditionUpdate<SkeletonAppConditionType> {
  if (deployment === undefined || rollout === undefined) {
    return {
      type: 'Progressing',
      status: 'Unknown',
      reason: 'DeploymentMissing',
      message: 'The Deployment has not been created yet.',
    };
  }
  if (rollout.inProgress) {
    const message = !rollout.observed
      ? 'Waiting for the Deployment controller to observe the latest Deployment generation.'
      : rollout.finished
        ? `The Deployment runs ${rollout.otherImage}, not ${desiredImage}.`
        : `Rolling out: ${deployment.updatedReplicas ?? 0} updated, ${rollout.readyReplicas} ready, ` +
          `${deployment.availableReplicas ?? 0} available of ${expectedReplicas} expected replicas` +
          (deployment.replicas !== undefined && deployment.replicas > (deployment.updatedReplicas ?? 0)
            ? `, ${deployment.replicas - (deployment.updatedReplicas ?? 0)} old replicas remaining.`
            : '.');
    return { type: 'Progressing', status: 'True', reason: 'RollingOut', message };
  }
  return {
    type: 'Progressing',
    status: 'False',
    reason: 'RolloutComplete',
    message: `All ${expectedReplicas} expected replicas run the latest template and are ready.`,
  };
}

/**
 * Degraded says the Deployment controller itself reports a failure, which needs a person:
 * - Progressing False with reason ProgressDeadlineExceeded: the rollout stopped making progress
 *   within progressDeadlineSeconds (crash loops, failing probes, unpullable image);
 * - ReplicaFailure True: pods cannot even be created (quota, admission webhooks, PSA).
 * Their messages are passed through since they name the cause. Otherwise False/AsExpected; a
 * missing Deployment is not a failure, only not created yet (Ready says so).
 */
function degradedCondition(
  deployment: DeploymentObservation | undefined,
): ConditionUpdate<SkeletonAppConditionType> {
  const failures: { reason: string; message: string }[] = [];
  if (deployment !== undefined) {
    const progressing = deploymentCondition(deployment, 'Progressing');
    if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
      failures.push({
        reason: 'ProgressDeadlineExceeded',
        message: progressing.message ?? 'The Deployment exceeded its progress deadline.',
      });
    }
    const replicaFailure = deploymentCondition(deployment, 'ReplicaFailure');
    if (replicaFailure?.status === 'True') {
      failures.push({
        reason: 'ReplicaFailure',
        message: replicaFailure.message ?? 'The Deployment cannot create its pods.',
      });
    }
  }
  const [first] = failures;
  if (first === undefined) {
    return {
      type: 'Degraded',
      status: 'False',
      reason: 'AsExpected',
      message: 'The Deployment reports no failure.',
    };
  }
  return {
    type: 'Degraded',
    status: 'True',
    reason: first.reason,
    message: failures.map((f) => f.message).join('; '),
  };
}

/**
 * Ready is True/Available only when the app fully serves the current spec: the Deployment is
 * Available, its controller has observed the latest generation (else "Available" may describe the
 * previous template), at least one replica is ready, and no rollout is in progress.
 * Otherwise it is False with the reason a person should act on first:
 * - DeploymentMissing: nothing exists yet (wait, or look at the operator if it persists);
 * - Degraded: the Deployment reports a failure; Degraded's message names it;
 * - RollingOut: a rollout is under way, wait for it;
 * - NoReadyReplicas: nothing is ready although nothing is rolling out (e.g. 0 expected replicas);
 * - DeploymentUnavailable: the Deployment itself says it is not Available (e.g. minReadySeconds).
 * A Degraded Deployment that is otherwise fully ready (e.g. an HPA scale-up blocked by a quota)
 * stays Ready: it still serves.
 */
function readyCondition(
  deployment: DeploymentObservation | undefined,
  rollout: Rollout | undefined,
  degraded: ConditionUpdate<SkeletonAppConditionType>,
): ConditionUpdate<SkeletonAppConditionType> {
  if (deployment === undefined || rollout === undefined) {
    return {
      type: 'Ready',
      status: 'False',
      reason: READY_REASONS.deploymentMissing,
      message: 'The Deployment has not been created yet.',
    };
  }
  const available = deploymentCondition(deployment, 'Available');
  const isAvailable = available?.status === 'True';
  if (isAvailable && rollout.observed && rollout.readyReplicas >= 1 && !rollout.inProgress) {
    return {
      type: 'Ready',
      status: 'True',
      reason: READY_REASONS.available,
      message: `${rollout.readyReplicas} replicas ready.`,
    };
  }
  if (degraded.status === 'True') {
    return { type: 'Ready', status: 'False', reason: READY_REASONS.degraded, message: degraded.message };
  }
  if (rollout.inProgress) {
    return {
      type: 'Ready',
      status: 'False',
      reason: READY_REASONS.rollingOut,
      message: 'A rollout is in progress; see the Progressing condition.',
    };
  }
  if (rollout.readyReplicas < 1) {
    return {
      type: 'Ready',
      status: 'False',
      reason: READY_REASONS.noReadyReplicas,
      message: 'No replica is ready.',
    };
  }
  return {
    type: 'Ready',
    status: 'False',
    reason: READY_REASONS.unavailable,
    message: available?.message ?? 'The Deployment does not report the Available condition as True.',
  };
}

/**
 * MonitoringAvailable tells whether the requested ServiceMonitor exists:
 * - not requested: False/NotRequested, so the column never suggests something is missing;
 * - requested but the ServiceMonitor CRD is absent: False/ServiceMonitorAPIMissing, with a message
 *   saying how to fix it, since otherwise the request would be silently ignored;
 * - requested and served: True/ServiceMonitorCreated.
 */
function monitoringCondition(
  monitoring: StatusInput['monitoring'],
): ConditionUpdate<SkeletonAppConditionType> {
  if (!monitoring.requested) {
    return {
      type: 'MonitoringAvailable',
      status: 'False',
      reason: 'NotRequested',
      message: 'spec.monitoring.serviceMonitor is not enabled.',
    };
  }
  if (!monitoring.apiAvailable) {
    return {
      type: 'MonitoringAvailable',
      status: 'False',
      reason: 'ServiceMonitorAPIMissing',
      message: SERVICE_MONITOR_API_MISSING_MESSAGE,
    };
  }
  return {
    type: 'MonitoringAvailable',
    status: 'True',
    reason: 'ServiceMonitorCreated',
    message: 'The ServiceMonitor has been created.',
  };
}

/**
 * The SkeletonApp's status for one observation.
 * - observedGeneration = the SkeletonApp's generation: clients know the status describes this spec.
 * - Ready, Progressing, Degraded, MonitoringAvailable are (re)computed with {@link setCondition},
 *   so their lastTransitionTime only moves when their status does.
 * - MigrationSucceeded, KeysRotated, currentKeyId and lastRotationTime are carried over from
 *   `previous` untouched: other parts of the operator own them, and this function must not erase
 *   or re-time them.
 * - readyReplicas/ready ("2/3") and phase (Ready's reason) feed the printer columns.
 * - currentImage is what the Deployment runs once a rollout has finished (until then the previous
 *   one still serves), desiredImage what the spec asks for: a difference shows a rollout at a glance.
 * - migratedImage and failedMigration are the migration gate's (withMigrationStatus sets them).
 * Undefined fields are omitted rather than set to undefined, so the result deep-equals a status
 * read back from the API server.
 */
export function computeStatus(input: StatusInput, now: Date): SkeletonAppStatus {
  const { deployment, expectedReplicas, generation, previous } = input;
  const rollout =
    deployment === undefined ? undefined : assessRollout(deployment, expectedReplicas, input.desiredImage);

  const progressing = progressingCondition(deployment, rollout, expectedReplicas, input.desiredImage);
  const degraded = degradedCondition(deployment);
  const ready = readyCondition(deployment, rollout, degraded);
  const monitoring = monitoringCondition(input.monitoring);

  let conditions: Condition<SkeletonAppConditionType>[] = [...(previous?.conditions ?? [])];
  for (const update of [ready, progressing, degraded, monitoring]) {
    conditions = setCondition(conditions, update, now, generation);
  }

  const readyReplicas = deployment?.readyReplicas ?? 0;
  const status: SkeletonAppStatus = {
    observedGeneration: generation,
    conditions,
    desiredImage: input.desiredImage,
    readyReplicas,
    ready: `${readyReplicas}/${expectedReplicas}`,
    phase: ready.reason,
  };
  // What serves: the image of a finished rollout, else whatever served before it began.
  const currentImage = rollout?.finished ? deployment?.image : previous?.currentImage;
  if (currentImage !== undefined) status.currentImage = currentImage;
  if (previous?.currentKeyId !== undefined) status.currentKeyId = previous.currentKeyId;
  if (previous?.lastRotationTime !== undefined) status.lastRotationTime = previous.lastRotationTime;
  return status;
}

/** A JSON-like value with keys sorted and undefined properties dropped, as the API server stores it. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/**
 * Whether `next` differs from `previous` (deep compare; key order and undefined properties are
 * ignored, array order is not). When false the reconciler can skip the /status write.
 */
export function statusChanged(previous: SkeletonAppStatus | undefined, next: SkeletonAppStatus): boolean {
  return JSON.stringify(canonical(previous ?? {})) !== JSON.stringify(canonical(next));
}

/** The SkeletonApp condition of the given type in a status, if present. */
export function findStatusCondition(
  status: SkeletonAppStatus | undefined,
  type: SkeletonAppConditionType,
): SkeletonAppCondition | undefined {
  return findCondition(status?.conditions, type);
}
