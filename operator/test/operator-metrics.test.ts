import test from 'ava';
import { OPERATOR_METRICS } from '../src/observability/metric-catalog.js';
import { createOperatorMetrics } from '../src/observability/metrics.js';
import { WorkQueue } from '../src/queue/work-queue.js';

const NO_APPS = { apps: () => [], owned: () => [] };

test('every metric of the catalog is exported under its name and type', async (t) => {
  const metrics = createOperatorMetrics('skeletonapp', NO_APPS);
  metrics.setLeader('skeleton-operator', true);
  const text = await metrics.registry.metrics();
  for (const metric of Object.values(OPERATOR_METRICS)) {
    t.true(text.includes(`# TYPE ${metric.name} ${metric.type}`), metric.name);
  }
  t.regex(text, /leader_election_master_status\{name="skeleton-operator"} 1/);
});

test('the work queue feeds reconcile and queue metrics', async (t) => {
  const metrics = createOperatorMetrics('skeletonapp', NO_APPS);
  let calls = 0;
  const queue: WorkQueue = new WorkQueue(
    async () => {
      calls++;
      if (calls === 1) throw new Error('transient');
    },
    { concurrency: 1, backoff: { baseMs: 1, maxMs: 1 }, observer: metrics.queueObserver(() => queue.depth) },
  );
  queue.add('identity/accounts');
  while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 5));
  const text = await metrics.registry.metrics();
  t.regex(text, /controller_runtime_reconcile_total\{controller="skeletonapp",result="success"} 1/);
  t.regex(text, /controller_runtime_reconcile_total\{controller="skeletonapp",result="error"} 1/);
  t.regex(text, /controller_runtime_reconcile_errors_total\{controller="skeletonapp"} 1/);
  t.regex(text, /workqueue_retries_total\{name="skeletonapp"} 1/);
  t.regex(text, /workqueue_adds_total\{name="skeletonapp"} 2/);
  t.regex(text, /workqueue_work_duration_seconds_count\{name="skeletonapp"} 2/);
  t.regex(text, /controller_runtime_reconcile_time_seconds_count\{controller="skeletonapp"} 2/);
});
