import { createHash } from 'node:crypto';
import { deepEqual } from './field-sets.js';
import type { KubeApi } from './kube-api.js';
import type { ResourceType } from './resource-registry.js';
import { isStatusError } from './status-errors.js';
import type { KubeObject } from './types.js';

/** The field manager kube-controller-manager's controllers write status with. */
export const CONTROLLER_MANAGER = 'kube-controller-manager';

export type JobOutcome = 'Complete' | 'Failed' | 'Running';

export interface SimulatedControllerOptions {
  /**
   * The deployment controller: a Deployment whose generation is not yet observed rolls out and is
   * ready (Available, all replicas updated/ready/available) `readyAfterMs` later. Default
   * `{ readyAfterMs: 0 }`; `false` turns it off.
   */
  deployment?: { readyAfterMs: number } | false;
  /**
   * The job controller: `afterMs` (default 0) after a Job is first seen, `decide` (called once per
   * Job uid) says how it ended. Default: every Job completes at once; `false` turns it off.
   */
  job?: { decide: (job: KubeObject) => JobOutcome; afterMs?: number } | false;
  /** The horizontal-pod-autoscaler controller: holds every HPA at its minReplicas. Default on. */
  hpa?: boolean;
  /** The clock for the timestamps the controllers write. */
  now?: () => Date;
  /** Where unexpected errors go (NotFound, an object deleted under a controller, is not one). */
  onError?: (error: unknown) => void;
}

export interface SimulatedControllers {
  /** Stops the watches and cancels every pending timer: no write happens afterwards. */
  stop(): void;
}

type Json = Record<string, unknown>;

interface Condition extends Json {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

const specOf = (object: KubeObject) => (object.spec ?? {}) as Json;
const statusOf = (object: KubeObject) => (object.status ?? {}) as Json;
const count = (value: unknown) => (typeof value === 'number' ? value : 0);
const conditionsOf = (status: Json) =>
  (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];
const conditionOf = (status: Json, type: string) => conditionsOf(status).find((c) => c.type === type);

/** Kubernetes' `omitempty`: replica counts of 0 are not serialized. */
function counts(values: Record<string, number>): Json {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== 0));
}

/**
 * The controllers kube-controller-manager would run against the fake: they watch the store,
 * reconcile level-triggered (each object is re-read, never taken from the event), and write only
 * status, through the status subresource, as `kube-controller-manager`. Work is deferred out of the
 * store's notification (setImmediate), so a controller's write never interleaves with the delivery
 * of the event that caused it; unchanged status is never rewritten, so a controller's own write
 * coming back as MODIFIED settles at once.
 */
export function startSimulatedControllers(
  api: KubeApi,
  options: SimulatedControllerOptions = {},
): SimulatedControllers {
  const clock = options.now ?? (() => new Date());
  const timestamp = () =>
    clock()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  const report = options.onError ?? ((error: unknown) => console.error('simulated controller:', error));
  const resource = (group: string, version: string, plural: string) =>
    api.registry.find(group, version, plural) as ResourceType;
  const deployments = resource('apps', 'v1', 'deployments');
  const jobs = resource('batch', 'v1', 'jobs');
  const hpas = resource('autoscaling', 'v2', 'horizontalpodautoscalers');

  let stopped = false;
  const unwatches: Array<() => void> = [];
  const timers = new Set<NodeJS.Timeout>();
  const dirty = new Map<string, () => void>();
  let flush: NodeJS.Immediate | undefined;

  const guarded = (work: () => void) => {
    if (stopped) return;
    try {
      work();
    } catch (error) {
      // Deleted between the event (or the timer's start) and the write: nothing left to do.
      if (isStatusError(error) && error.code === 404) return;
      report(error);
    }
  };
  const drain = () => {
    flush = undefined;
    const work = [...dirty.values()];
    dirty.clear();
    for (const run of work) guarded(run);
  };
  const enqueue = (key: string, run: () => void) => {
    if (stopped) return;
    dirty.set(key, run);
    flush ??= setImmediate(drain);
  };
  const later = (ms: number, run: () => void): NodeJS.Timeout => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      guarded(run);
    }, ms);
    timers.add(timer);
    return timer;
  };
  const cancel = (timer: NodeJS.Timeout | undefined) => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timers.delete(timer);
  };

  /** List, reconcile every existing object, then watch from the list's resourceVersion. */
  const watchKind = (
    kind: ResourceType,
    onChange: (namespace: string | undefined, name: string, object: KubeObject) => void,
  ): void => {
    const { items, resourceVersion } = api.list(kind, undefined);
    for (const item of items) onChange(item.metadata.namespace, item.metadata.name as string, item);
    unwatches.push(
      api.store.watch({ resource: kind }, Number(resourceVersion), ({ object }) =>
        onChange(object.metadata.namespace, object.metadata.name as string, object),
      ),
    );
  };

  const writeStatus = (kind: ResourceType, current: KubeObject, status: Json): KubeObject => {
    if (deepEqual(current.status, status)) return current;
    const { namespace, name } = current.metadata;
    return api.update(
      kind,
      namespace,
      name as string,
      { ...current, status },
      { manager: CONTROLLER_MANAGER, subresource: 'status' },
    );
  };

  /** A condition, keeping lastTransitionTime while its status does not change. */
  const condition = (
    previous: Json,
    type: string,
    status: 'True' | 'False',
    reason: string,
    message: string,
    withUpdateTime: boolean,
  ): Condition => {
    const now = timestamp();
    const before = conditionOf(previous, type);
    const lastTransitionTime = before?.status === status ? (before.lastTransitionTime ?? now) : now;
    return withUpdateTime
      ? { type, status, lastUpdateTime: now, lastTransitionTime, reason, message }
      : { type, status, lastTransitionTime, reason, message };
  };

  if (options.deployment !== false) {
    const readyAfterMs = options.deployment?.readyAfterMs ?? 0;
    interface Rollout {
      uid: string;
      /** The pod template last rolled out completely, and the replica count it reached. */
      template?: string;
      replicas?: number;
      pending?: { generation: number; timer: NodeJS.Timeout };
    }
    const rollouts = new Map<string, Rollout>();

    const templateOf = (deployment: KubeObject) => JSON.stringify(specOf(deployment).template ?? {});
    const replicaSetName = (deployment: KubeObject) =>
      `${deployment.metadata.name}-${createHash('sha256').update(templateOf(deployment)).digest('hex').slice(0, 10)}`;

    /** spec.replicas; without it the count an HPA targeting the Deployment holds; else 1. */
    const replicasFor = (deployment: KubeObject): number => {
      const replicas = specOf(deployment).replicas;
      if (typeof replicas === 'number') return replicas;
      const hpa = api.store.find(hpas, deployment.metadata.namespace, (candidate) => {
        const target = (specOf(candidate).scaleTargetRef ?? {}) as Json;
        return target.kind === 'Deployment' && target.name === deployment.metadata.name;
      });
      if (!hpa) return 1;
      const current = statusOf(hpa).currentReplicas;
      if (typeof current === 'number') return current;
      const min = specOf(hpa).minReplicas;
      return typeof min === 'number' ? min : 1;
    };

    const settled = (status: Json, generation: number, replicas: number) =>
      status.observedGeneration === generation &&
      ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'].every(
        (field) => count(status[field]) === replicas,
      ) &&
      conditionOf(status, 'Available')?.status === 'True' &&
      conditionOf(status, 'Progressing')?.reason === 'NewReplicaSetAvailable';

    const reconcile = (namespace: string | undefined, name: string) => {
      const key = `${namespace}/${name}`;
      const deployment = api.store.get(deployments, namespace, name);
      let rollout = rollouts.get(key);
      if (!deployment || rollout?.uid !== deployment.metadata.uid) {
        cancel(rollout?.pending?.timer);
        rollouts.delete(key);
        rollout = undefined;
        if (!deployment) return;
      }
      const generation = deployment.metadata.generation ?? 1;
      const replicas = replicasFor(deployment);
      const template = templateOf(deployment);
      const status = statusOf(deployment);
      if (!rollout) {
        // First sight (new, or existing when the controller started): a full resync.
        rollout = { uid: deployment.metadata.uid as string };
        rollouts.set(key, rollout);
        if (settled(status, generation, replicas)) {
          Object.assign(rollout, { template, replicas });
          return;
        }
      } else {
        if (rollout.pending?.generation === generation) return;
        if (!rollout.pending && status.observedGeneration === generation && rollout.replicas === replicas)
          return;
      }
      cancel(rollout.pending?.timer);
      const templateChanged = rollout.template !== template;
      const available = conditionOf(status, 'Available') ?? {
        type: 'Available',
        status: 'False',
        lastUpdateTime: timestamp(),
        lastTransitionTime: timestamp(),
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      };
      // A new pod template starts a new ReplicaSet whose pods are not ready yet; a scale or another
      // spec change keeps the counts the pods have until the delay passes.
      const progress = templateChanged
        ? counts({ replicas, unavailableReplicas: replicas })
        : counts({
            replicas: count(status.replicas),
            updatedReplicas: count(status.updatedReplicas),
            readyReplicas: count(status.readyReplicas),
            availableReplicas: count(status.availableReplicas),
            unavailableReplicas: count(status.unavailableReplicas),
          });
      writeStatus(deployments, deployment, {
        observedGeneration: generation,
        ...progress,
        conditions: [
          available,
          condition(
            status,
            'Progressing',
            'True',
            'ReplicaSetUpdated',
            `ReplicaSet "${replicaSetName(deployment)}" is progressing.`,
            true,
          ),
        ],
      });
      const uid = rollout.uid;
      rollout.pending = {
        generation,
        timer: later(readyAfterMs, () => finish(namespace, name, uid, generation)),
      };
    };

    const finish = (namespace: string | undefined, name: string, uid: string, generation: number) => {
      const key = `${namespace}/${name}`;
      const rollout = rollouts.get(key);
      if (rollout?.uid !== uid || rollout.pending?.generation !== generation) return;
      rollout.pending = undefined;
      const deployment = api.get(deployments, namespace, name);
      if (deployment.metadata.uid !== uid || (deployment.metadata.generation ?? 1) !== generation) {
        enqueue(`deployments/${key}`, () => reconcile(namespace, name));
        return;
      }
      const replicas = replicasFor(deployment);
      const status = statusOf(deployment);
      rollout.template = templateOf(deployment);
      rollout.replicas = replicas;
      writeStatus(deployments, deployment, {
        observedGeneration: generation,
        ...counts({
          replicas,
          updatedReplicas: replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
        }),
        conditions: [
          condition(
            status,
            'Available',
            'True',
            'MinimumReplicasAvailable',
            'Deployment has minimum availability.',
            true,
          ),
          condition(
            status,
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${replicaSetName(deployment)}" has successfully progressed.`,
            true,
          ),
        ],
      });
    };

    watchKind(deployments, (namespace, name) =>
      enqueue(`deployments/${namespace}/${name}`, () => reconcile(namespace, name)),
    );
    // An HPA (created, rescaled, deleted) changes how many replicas its target should have.
    watchKind(hpas, (namespace, _name, hpa) => {
      const target = (specOf(hpa).scaleTargetRef ?? {}) as Json;
      if (target.kind !== 'Deployment' || typeof target.name !== 'string') return;
      const targetName = target.name;
      enqueue(`deployments/${namespace}/${targetName}`, () => reconcile(namespace, targetName));
    });
  }

  if (options.job !== false) {
    const decide = options.job?.decide ?? (() => 'Complete' as const);
    const afterMs = options.job?.afterMs ?? 0;
    interface Run {
      uid: string;
      startTime: string;
      timer?: NodeJS.Timeout;
      decided: boolean;
    }
    const runs = new Map<string, Run>();
    const finished = (job: KubeObject) =>
      conditionsOf(statusOf(job)).some(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );

    const jobStatus = (job: KubeObject, outcome: JobOutcome, startTime: string): Json => {
      const now = timestamp();
      const done = (type: string, reason: string, message: string) => ({
        type,
        status: 'True',
        lastProbeTime: now,
        lastTransitionTime: now,
        reason,
        message,
      });
      const common = { startTime, terminating: 0, uncountedTerminatedPods: {} };
      if (outcome === 'Running') return { ...common, active: 1, ready: 1 };
      if (outcome === 'Complete') {
        const reached = 'Reached expected number of succeeded pods';
        const completions = specOf(job).completions;
        return {
          ...common,
          ready: 0,
          succeeded: typeof completions === 'number' ? completions : 1,
          completionTime: now,
          conditions: [
            done('SuccessCriteriaMet', 'CompletionsReached', reached),
            done('Complete', 'CompletionsReached', reached),
          ],
        };
      }
      const backoffLimit = specOf(job).backoffLimit;
      const limit = 'Job has reached the specified backoff limit';
      return {
        ...common,
        ready: 0,
        failed: (typeof backoffLimit === 'number' ? backoffLimit : 6) + 1,
        conditions: [
          done('FailureTarget', 'BackoffLimitExceeded', limit),
          done('Failed', 'BackoffLimitExceeded', limit),
        ],
      };
    };

    const settle = (namespace: string | undefined, name: string, run: Run) => {
      run.timer = undefined;
      if (runs.get(`${namespace}/${name}`) !== run) return;
      const job = api.get(jobs, namespace, name);
      if (job.metadata.uid !== run.uid) return;
      run.decided = true;
      writeStatus(jobs, job, jobStatus(job, decide(job), run.startTime));
    };

    const reconcile = (namespace: string | undefined, name: string) => {
      const key = `${namespace}/${name}`;
      const job = api.store.get(jobs, namespace, name);
      const run = runs.get(key);
      if (run && run.uid === job?.metadata.uid) return; // decided, or deciding: once per Job
      cancel(run?.timer);
      runs.delete(key);
      if (!job) return;
      // A Job already finished when the controller started is left as it is.
      const startTime = (statusOf(job).startTime as string | undefined) ?? timestamp();
      const next: Run = { uid: job.metadata.uid as string, startTime, decided: finished(job) };
      runs.set(key, next);
      if (!next.decided) next.timer = later(afterMs, () => settle(namespace, name, next));
    };

    watchKind(jobs, (namespace, name) =>
      enqueue(`jobs/${namespace}/${name}`, () => reconcile(namespace, name)),
    );
  }

  if (options.hpa !== false) {
    /**
     * Without metrics the real controller still keeps its target within bounds: a count below
     * minReplicas or above maxReplicas is rescaled (through the scale subresource there; the fake has none).
     */
    const keepInBounds = (hpa: KubeObject, min: number): number => {
      const target = (specOf(hpa).scaleTargetRef ?? {}) as Json;
      const max = specOf(hpa).maxReplicas;
      const deployment =
        target.kind === 'Deployment' && typeof target.name === 'string'
          ? api.store.get(deployments, hpa.metadata.namespace, target.name)
          : undefined;
      if (!deployment) return min;
      const current = specOf(deployment).replicas;
      const count = typeof current === 'number' ? current : 1;
      const bounded = Math.max(min, typeof max === 'number' ? Math.min(count, max) : count);
      if (bounded !== count)
        api.update(
          deployments,
          deployment.metadata.namespace,
          deployment.metadata.name as string,
          { ...deployment, spec: { ...specOf(deployment), replicas: bounded } },
          { manager: CONTROLLER_MANAGER },
        );
      return bounded;
    };

    const reconcile = (namespace: string | undefined, name: string) => {
      const hpa = api.store.get(hpas, namespace, name);
      if (!hpa) return;
      const min = specOf(hpa).minReplicas;
      const replicas = keepInBounds(hpa, typeof min === 'number' ? min : 1);
      const status = statusOf(hpa);
      writeStatus(hpas, hpa, {
        observedGeneration: hpa.metadata.generation ?? 1,
        currentReplicas: replicas,
        desiredReplicas: replicas,
        conditions: [
          condition(
            status,
            'AbleToScale',
            'True',
            'ReadyForNewScale',
            'recommended size matches current size',
            false,
          ),
          condition(
            status,
            'ScalingActive',
            'True',
            'ValidMetricFound',
            'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
            false,
          ),
        ],
      });
    };
    watchKind(hpas, (namespace, name) =>
      enqueue(`hpas/${namespace}/${name}`, () => reconcile(namespace, name)),
    );
  }

  return {
    stop() {
      stopped = true;
      for (const unwatch of unwatches.splice(0)) unwatch();
      if (flush) clearImmediate(flush);
      flush = undefined;
      dirty.clear();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
