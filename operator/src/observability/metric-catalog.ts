/**
 * Every metric the operator exports, named as controller-runtime names them so the dashboards
 * and alerts already written for Go operators work unchanged. Dashboards and alerts of this
 * project use these names, and a test proves each one is exported.
 */
export const OPERATOR_METRICS = {
  reconcileTotal: {
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller, by result (success, error, requeue, requeue_after).',
    type: 'counter',
    labels: ['controller', 'result'],
  },
  reconcileErrors: {
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller.',
    type: 'counter',
    labels: ['controller'],
  },
  reconcileTime: {
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller.',
    type: 'histogram',
    labels: ['controller'],
  },
  workqueueDepth: {
    name: 'workqueue_depth',
    help: 'Current depth of the work queue.',
    type: 'gauge',
    labels: ['name'],
  },
  workqueueAdds: {
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by the work queue.',
    type: 'counter',
    labels: ['name'],
  },
  workqueueQueueDuration: {
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in the work queue before being requested.',
    type: 'histogram',
    labels: ['name'],
  },
  workqueueWorkDuration: {
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from the work queue takes.',
    type: 'histogram',
    labels: ['name'],
  },
  workqueueRetries: {
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by the work queue.',
    type: 'counter',
    labels: ['name'],
  },
  leaderElectionMasterStatus: {
    name: 'leader_election_master_status',
    help: 'Gauge of whether this instance is the leader (1) or not (0) of the named lease.',
    type: 'gauge',
    labels: ['name'],
  },
} as const;

/** controller-runtime's buckets for reconcile and work-queue durations: 5 ms to 60 s. */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
