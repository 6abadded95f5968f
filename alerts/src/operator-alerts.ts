import { SKELETON_APP_LABELS } from './config.js';
import { maxBy, operator, rate, sumBy } from './promql.js';
import type { AlertDefinition } from './rule-types.js';

const APP = 'SkeletonApp {{ $labels.namespace }}/{{ $labels.skeletonapp }}';

/** Every operator replica exports the SkeletonApp metrics from its caches: one value per app. */
const perApp = (expr: string) => maxBy(SKELETON_APP_LABELS, expr);

/** 1 while the condition has that status (kube-state-metrics style: one series per status). */
const condition = (type: string, status: 'True' | 'False') =>
  `${perApp(operator('skeletonapp_status_condition', `type="${type}"`, `status="${status}"`))} == 1`;

/**
 * The condition's reason is not a label, and MigrationSucceeded is False while a migration is
 * still running too; a failed one is the only state that also sets Degraded.
 */
const migrationFailed = `${condition('MigrationSucceeded', 'False')}\nand on (namespace, skeletonapp)\n${condition('Degraded', 'True')}`;

/** How late a key rotation may be: promoting a key waits for propagation and JWKS caches (minutes). */
const KEY_ROTATION_GRACE_SECONDS = 3600;

const leaderStatus = operator('leader_election_master_status');

export const OPERATOR_ALERTS: readonly AlertDefinition[] = [
  {
    alert: 'OperatorReconcileErrors',
    // 15m windows: a failing app is retried with back-off up to ~17 minutes apart.
    expr: `(\n  ${sumBy(['job', 'controller'], rate(operator('controller_runtime_reconcile_errors_total'), '15m'))}\n/\n  ${sumBy(['job', 'controller'], rate(operator('controller_runtime_reconcile_total'), '15m'))}\n) > 0.1`,
    for: '15m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'More than 10% of the operator reconciles fail.',
      description:
        '{{ $value | humanizePercentage }} of the {{ $labels.controller }} reconciles failed over the last ' +
        '15 minutes: the SkeletonApps concerned do not get their spec applied.',
    },
  },
  {
    alert: 'OperatorNoLeader',
    // Only the leader exports the gauge (1); absent() covers the operator not being scraped at all.
    expr: `${maxBy(['job', 'name'], leaderStatus)} < 1\nor\nabsent(${leaderStatus})`,
    for: '5m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'No operator replica is leading: SkeletonApps are not reconciled.',
      description:
        '{{ if $labels.name }}No replica holds the Lease {{ $labels.name }}{{ else }}No replica of job ' +
        '{{ $labels.job }} reports leading{{ end }} for 5 minutes: no release, migration, scaling change ' +
        'or key rotation happens.',
    },
  },
  {
    alert: 'SkeletonAppMigrationFailed',
    expr: migrationFailed,
    for: '5m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'A SkeletonApp release is held back by a failed database migration.',
      description:
        `The migration Job of ${APP} failed: the new image is not rolled out and the previous one keeps ` +
        'serving. It is not run again until spec.image or the migration settings change.',
    },
  },
  {
    alert: 'SkeletonAppNotReady',
    // A failed migration also makes Ready False; SkeletonAppMigrationFailed says it more precisely.
    expr: `${perApp(operator('skeletonapp_status_condition', 'type="Ready"', 'status="True"'))} == 0\nunless on (namespace, skeletonapp)\n(\n  ${migrationFailed.replaceAll('\n', '\n  ')}\n)`,
    for: '15m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'A SkeletonApp has not been Ready for 15 minutes.',
      description: `${APP} has not been Ready for 15 minutes: it does not fully serve its current spec. Its Ready condition's reason says why.`,
    },
  },
  {
    alert: 'SkeletonAppKeyRotationOverdue',
    expr: `time() - ${perApp(operator('skeletonapp_key_rotation_last_timestamp_seconds'))}\n  > ${perApp(operator('skeletonapp_key_rotation_interval_seconds'))} + ${KEY_ROTATION_GRACE_SECONDS}`,
    for: '10m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'A SkeletonApp signing key is older than its rotation interval.',
      description: `${APP} promoted its current signing key {{ $value | humanizeDuration }} ago, more than its rotation interval plus an hour: the operator is not rotating its keys.`,
    },
  },
  {
    alert: 'SkeletonAppHpaAtMax',
    expr: `${perApp(operator('skeletonapp_hpa_current_replicas'))}\n  >= ${perApp(operator('skeletonapp_hpa_max_replicas'))}`,
    for: '15m',
    labels: { severity: 'info' },
    annotations: {
      summary: 'A SkeletonApp has run at its autoscaler maximum for 15 minutes.',
      description: `${APP} has run {{ $value }} replicas, the most its HorizontalPodAutoscaler allows, for 15 minutes: it cannot scale out under more load.`,
    },
  },
];
