import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard, type Row } from './dashboard.js';
import { stat, timeseries } from './panels.js';
import { processRow } from './process-row.js';
import { gauge, quantile, rate, sumBy } from './promql.js';

const RECONCILES = 'controller_runtime_reconcile_total';

/**
 * One series per SkeletonApp. Every operator replica exports the SkeletonApp gauges from its own
 * caches, leader or not, hence the max across replicas. The app's namespace label survives a scrape
 * as `namespace` with honorLabels, and as `exported_namespace` without (the target's namespace, the
 * operator's, then takes `namespace`): label_replace puts it back in `namespace` either way.
 */
const perApp = (selector: string, labels: readonly string[] = []) =>
  `max by (${['namespace', 'skeletonapp', ...labels].join(', ')}) (label_replace(${selector}, "namespace", "$1", "exported_namespace", "(.+)"))`;

const overview: Row = {
  title: 'Overview',
  panels: [
    stat({
      title: 'Leaders',
      description:
        'Replicas holding each leader-election lease. Exactly 1 is healthy: with 0 nothing reconciles, with more than 1 two replicas write at once.',
      unit: 'short',
      thresholds: [
        { value: null, color: 'red' },
        { value: 1, color: 'green' },
        { value: 2, color: 'red' },
      ],
      queries: [{ expr: sumBy(['name'], gauge('leader_election_master_status')), legend: '{{name}}' }],
    }),
    stat({
      title: 'SkeletonApps not Ready',
      description:
        'SkeletonApps whose Ready condition is False or Unknown: `kubectl describe skeletonapp` shows the reason.',
      unit: 'short',
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ],
      queries: [
        {
          expr: `count(${perApp(gauge('skeletonapp_status_condition', ['type="Ready"', 'status!="True"']))} == 1) or vector(0)`,
          legend: 'not Ready',
        },
      ],
    }),
    stat({
      title: 'Reconcile rate',
      description: 'Reconciliations per second, all controllers and results.',
      unit: 'ops',
      queries: [{ expr: sumBy([], rate(RECONCILES)), legend: 'reconciles' }],
    }),
    stat({
      title: 'Work queue depth',
      description:
        'Items waiting in the work queues. A depth that keeps growing means reconciles cannot keep up.',
      unit: 'short',
      queries: [{ expr: sumBy([], gauge('workqueue_depth')), legend: 'depth' }],
    }),
  ],
};

const reconciliation: Row = {
  title: 'Reconciliation',
  panels: [
    timeseries({
      title: 'Reconciles by result',
      description:
        'Reconciliations per second by controller and result: success, error, requeue (retry) and requeue_after (scheduled follow-up), stacked.',
      unit: 'ops',
      width: 6,
      stacked: true,
      queries: [
        { expr: sumBy(['controller', 'result'], rate(RECONCILES)), legend: '{{controller}} {{result}}' },
      ],
    }),
    timeseries({
      title: 'Reconcile errors',
      description:
        "Reconciliations per second that ended in an error, by controller. Each is retried with back-off; the SkeletonApp's conditions say why.",
      unit: 'ops',
      width: 6,
      queries: [
        {
          expr: sumBy(['controller'], rate('controller_runtime_reconcile_errors_total')),
          legend: '{{controller}}',
        },
      ],
    }),
    timeseries({
      title: 'Reconcile duration',
      description:
        "Median, 90th and 99th percentile of the time one reconciliation takes, by controller, from the histogram's buckets.",
      unit: 's',
      width: 6,
      exemplars: true,
      queries: [0.5, 0.9, 0.99].map((q) => ({
        expr: quantile(q, 'controller_runtime_reconcile_time_seconds', ['controller']),
        legend: `p${q * 100} {{controller}}`,
      })),
    }),
    timeseries({
      title: 'Child applies by result',
      description:
        'Server-side applies of SkeletonApp children per second, by kind and result: created, updated (a new configuration), drift_corrected (someone had changed a field the operator sets, and it was put back; see the operations guide) and unchanged (nothing to store).',
      unit: 'ops',
      width: 6,
      stacked: true,
      queries: [
        {
          expr: sumBy(['kind', 'result'], rate('skeleton_operator_child_applies_total')),
          legend: '{{kind}} {{result}}',
        },
      ],
    }),
  ],
};

const workQueue: Row = {
  title: 'Work queue',
  panels: [
    timeseries({
      title: 'Queue depth',
      description: 'Items waiting in each work queue.',
      unit: 'short',
      width: 6,
      queries: [{ expr: sumBy(['name'], gauge('workqueue_depth')), legend: '{{name}}' }],
    }),
    timeseries({
      title: 'Adds and retries',
      description:
        'Items added to each work queue per second, and of those the retries after a failed reconcile.',
      unit: 'ops',
      width: 6,
      queries: [
        { expr: sumBy(['name'], rate('workqueue_adds_total')), legend: 'adds {{name}}' },
        { expr: sumBy(['name'], rate('workqueue_retries_total')), legend: 'retries {{name}}' },
      ],
    }),
    timeseries({
      title: 'Queue latency',
      description:
        'Median and 99th percentile of how long an item waits in the queue before a worker takes it: high while reconciles are slow or the queue is backed up.',
      unit: 's',
      width: 6,
      exemplars: true,
      queries: [0.5, 0.99].map((q) => ({
        expr: quantile(q, 'workqueue_queue_duration_seconds', ['name']),
        legend: `p${q * 100} {{name}}`,
      })),
    }),
    timeseries({
      title: 'Work duration',
      description: 'Median and 99th percentile of how long a worker spends on one item.',
      unit: 's',
      width: 6,
      exemplars: true,
      queries: [0.5, 0.99].map((q) => ({
        expr: quantile(q, 'workqueue_work_duration_seconds', ['name']),
        legend: `p${q * 100} {{name}}`,
      })),
    }),
  ],
};

const leaderElection: Row = {
  title: 'Leader election',
  panels: [
    timeseries({
      title: 'Leader by instance',
      description:
        'Which replica leads each lease over time (1 leads, 0 stands by). A change of leader is a failover: the new leader resyncs every SkeletonApp.',
      unit: 'short',
      width: 24,
      height: 6,
      min: 0,
      max: 1,
      queries: [
        {
          expr: `max by (instance, name) (${gauge('leader_election_master_status')})`,
          legend: '{{instance}} {{name}}',
        },
      ],
    }),
  ],
};

const skeletonApps: Row = {
  title: 'SkeletonApps',
  panels: [
    timeseries({
      title: 'SkeletonApps by condition',
      description:
        "SkeletonApps per condition type and current status (Ready, Progressing, Degraded, MigrationSucceeded, KeysRotated, MonitoringAvailable). Not filtered by the namespace variable, which picks the operator's namespace: these count the apps of every namespace.",
      unit: 'short',
      width: 8,
      queries: [
        {
          expr: sumBy(['type', 'status'], perApp(gauge('skeletonapp_status_condition'), ['type', 'status'])),
          legend: '{{type}}={{status}}',
        },
      ],
    }),
    timeseries({
      title: 'Signing-key age',
      description:
        "Age of each SkeletonApp's current JWT signing key as a share of its rotation interval. Above 100 % the rotation is overdue: look at the KeysRotated condition. Apps appear once the operator has rotated their keys.",
      unit: 'percentunit',
      width: 8,
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'orange' },
        { value: 1.5, color: 'red' },
      ],
      queries: [
        {
          expr: `(time() - ${perApp(gauge('skeletonapp_key_rotation_last_timestamp_seconds'))}) / ${perApp(gauge('skeletonapp_key_rotation_interval_seconds'))}`,
          legend: '{{namespace}}/{{skeletonapp}}',
        },
      ],
    }),
    timeseries({
      title: 'Autoscaling headroom',
      description:
        "Replicas of each autoscaled SkeletonApp as a share of its HorizontalPodAutoscaler's maximum. At 100 % it cannot scale out any further.",
      unit: 'percentunit',
      width: 8,
      thresholds: [
        { value: null, color: 'green' },
        { value: 0.8, color: 'orange' },
        { value: 1, color: 'red' },
      ],
      queries: [
        {
          expr: `${perApp(gauge('skeletonapp_hpa_current_replicas'))} / ${perApp(gauge('skeletonapp_hpa_max_replicas'))}`,
          legend: '{{namespace}}/{{skeletonapp}}',
        },
      ],
    }),
  ],
};

export function operatorDashboard(): Dashboard {
  return buildDashboard({
    uid: 'skeleton-operator',
    title: 'Skeleton Operator',
    description:
      'The SkeletonApp operator: reconciliation, work queue, leader election, the SkeletonApps it runs, and process.',
    tags: ['operator'],
    inventoryMetric: RECONCILES,
    rows: [overview, reconciliation, workQueue, leaderElection, skeletonApps, processRow('operator')],
  });
}
