import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkQueueObserver } from '../queue/work-queue.js';
import { DURATION_BUCKETS, OPERATOR_METRICS } from './metric-catalog.js';
import { registerSkeletonAppMetrics, type SkeletonAppSource } from './skeleton-app-metrics.js';

const m = OPERATOR_METRICS;

/**
 * The operator's metrics, on a registry of its own (never prom-client's global one, so two
 * operator instances in one test process count separately). `apps` is read at each scrape for the
 * SkeletonApps' own gauges.
 */
export function createOperatorMetrics(controller: string, apps: SkeletonAppSource) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerSkeletonAppMetrics(registry, apps);
  const registers = [registry];
  const reconcileTotal = new Counter({ ...m.reconcileTotal, labelNames: m.reconcileTotal.labels, registers });
  const reconcileErrors = new Counter({
    ...m.reconcileErrors,
    labelNames: m.reconcileErrors.labels,
    registers,
  });
  const reconcileTime = new Histogram({
    ...m.reconcileTime,
    labelNames: m.reconcileTime.labels,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const depth = new Gauge({ ...m.workqueueDepth, labelNames: m.workqueueDepth.labels, registers });
  const adds = new Counter({ ...m.workqueueAdds, labelNames: m.workqueueAdds.labels, registers });
  const queueDuration = new Histogram({
    ...m.workqueueQueueDuration,
    labelNames: m.workqueueQueueDuration.labels,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const workDuration = new Histogram({
    ...m.workqueueWorkDuration,
    labelNames: m.workqueueWorkDuration.labels,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const retries = new Counter({ ...m.workqueueRetries, labelNames: m.workqueueRetries.labels, registers });
  const leader = new Gauge({
    ...m.leaderElectionMasterStatus,
    labelNames: m.leaderElectionMasterStatus.labels,
    registers,
  });
  const childApplies = new Counter({ ...m.childApplies, labelNames: m.childApplies.labels, registers });
  // Zero-initialised so rate() and absent() behave from the first scrape.
  for (const result of ['success', 'error', 'requeue_after']) reconcileTotal.inc({ controller, result }, 0);
  reconcileErrors.inc({ controller }, 0);
  retries.inc({ name: controller }, 0);

  /** Feeds the queue's events into both metric families, as controller-runtime does. */
  const queueObserver = (currentDepth: () => number): WorkQueueObserver => ({
    added: () => {
      adds.inc({ name: controller });
      depth.set({ name: controller }, currentDepth());
    },
    started: (_key, queuedSeconds) => {
      queueDuration.observe({ name: controller }, queuedSeconds);
      depth.set({ name: controller }, currentDepth());
    },
    finished: (_key, workSeconds, outcome) => {
      workDuration.observe({ name: controller }, workSeconds);
      reconcileTime.observe({ controller }, workSeconds);
      reconcileTotal.inc({ controller, result: outcome });
      if (outcome === 'error') reconcileErrors.inc({ controller });
    },
    retried: () => retries.inc({ name: controller }),
  });

  return {
    registry,
    queueObserver,
    childApplied(kind: string, result: string) {
      childApplies.inc({ kind, result });
    },
    setLeader(name: string, isLeader: boolean) {
      leader.set({ name }, isLeader ? 1 : 0);
    },
  };
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
