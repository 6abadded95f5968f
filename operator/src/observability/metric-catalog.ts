/**
 * The SkeletonApp metrics are read from the caches, which every replica keeps warm: the standbys
 * export them too, so a query must aggregate over replicas (`max by (namespace, skeletonapp)`).
 */
const EVERY_REPLICA =
  "From this replica's caches at scrape time; every replica exports it, leader or not, so aggregate with max by.";

/**
 * Every metric the operator exports. The controller's are named as controller-runtime names them,
 * so the dashboards and alerts already written for Go operators work unchanged; the SkeletonApps'
 * follow kube-state-metrics (`<kind>_status_condition` with one series per status, as
 * `kube_deployment_status_condition` has), so the same queries carry over. Dashboards and
 * alerts of this project use these names, and a test proves each one is exported.
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
  childApplies: {
    name: 'skeleton_operator_child_applies_total',
    help: 'Server-side applies of SkeletonApp children by kind and what each did: created, updated (a new desired configuration), drift_corrected (the configuration was right but someone else had changed the object) or unchanged.',
    type: 'counter',
    labels: ['kind', 'result'],
  },
  leaderElectionMasterStatus: {
    name: 'leader_election_master_status',
    help: 'Gauge of whether this instance is the leader (1) or not (0) of the named lease.',
    type: 'gauge',
    labels: ['name'],
  },
  skeletonAppStatusCondition: {
    name: 'skeletonapp_status_condition',
    help: `Each condition of each SkeletonApp's status, one series per status (True, False, Unknown): 1 for the current one, 0 for the others. ${EVERY_REPLICA}`,
    type: 'gauge',
    labels: ['namespace', 'skeletonapp', 'type', 'status'],
  },
  skeletonAppKeyRotationLast: {
    name: 'skeletonapp_key_rotation_last_timestamp_seconds',
    help: `When each SkeletonApp's current signing key was promoted (status.lastRotationTime), in Unix seconds; absent until the operator has made one. ${EVERY_REPLICA}`,
    type: 'gauge',
    labels: ['namespace', 'skeletonapp'],
  },
  skeletonAppKeyRotationInterval: {
    name: 'skeletonapp_key_rotation_interval_seconds',
    help: `Each SkeletonApp's spec.jwt.rotationInterval (defaults applied), in seconds; absent while the spec is invalid. ${EVERY_REPLICA}`,
    type: 'gauge',
    labels: ['namespace', 'skeletonapp'],
  },
  skeletonAppHpaCurrentReplicas: {
    name: 'skeletonapp_hpa_current_replicas',
    help: `Replicas of each SkeletonApp as its HorizontalPodAutoscaler last saw them (status.currentReplicas). ${EVERY_REPLICA}`,
    type: 'gauge',
    labels: ['namespace', 'skeletonapp'],
  },
  skeletonAppHpaMaxReplicas: {
    name: 'skeletonapp_hpa_max_replicas',
    help: `The most replicas each SkeletonApp's HorizontalPodAutoscaler may scale to (spec.maxReplicas). ${EVERY_REPLICA}`,
    type: 'gauge',
    labels: ['namespace', 'skeletonapp'],
  },
} as const;

/** controller-runtime's buckets for reconcile and work-queue durations: 5 ms to 60 s. */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
