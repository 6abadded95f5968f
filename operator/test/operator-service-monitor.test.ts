import test from 'ava';
import {
  type Cluster,
  clusterWithOperator,
  conditionOf,
  exampleApp,
  isReady,
  SERVICE_MONITOR_CRD,
  startCluster,
  startOperator,
  until,
} from './support/operator-harness.js';

/** The ServiceMonitor follows the monitoring.coreos.com API: a condition while it is missing, the object once it is served. */

const serviceMonitorExists = async (cluster: Cluster) => {
  try {
    await cluster.objects.read({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'accounts', namespace: 'identity' },
    });
    return true;
  } catch {
    return false;
  }
};

test('a ServiceMonitor CRD installed while the operator runs leads to the ServiceMonitor without a restart', async (t) => {
  const { cluster, operator } = await clusterWithOperator(t);

  await cluster.createApp(exampleApp('accounts', 'identity'));
  t.true(await until(async () => isReady(await cluster.getApp('identity', 'accounts'))));
  const before = await cluster.getApp('identity', 'accounts');
  t.like(conditionOf(before, 'MonitoringAvailable'), { status: 'False', reason: 'ServiceMonitorAPIMissing' });
  t.deepEqual(
    operator.logger.lines.filter((line) => line.level === 'warn' || line.level === 'error'),
    [],
    'a missing API is a condition, not an error',
  );

  await cluster.createCrd(SERVICE_MONITOR_CRD);
  t.true(
    await until(
      async () =>
        conditionOf(await cluster.getApp('identity', 'accounts'), 'MonitoringAvailable')?.status === 'True',
    ),
    'MonitoringAvailable turns True',
  );
  t.true(await serviceMonitorExists(cluster), 'the ServiceMonitor exists');
  t.true(isReady(await cluster.getApp('identity', 'accounts')), 'still Ready');
});

test('an app without monitoring gets no ServiceMonitor and says it was not requested', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.createNamespace('identity');
  await cluster.createCrd(SERVICE_MONITOR_CRD);
  const operator = await startOperator(cluster);
  t.teardown(() => operator.stop());

  await cluster.createApp(
    exampleApp('accounts', 'identity', { monitoring: { serviceMonitor: { enabled: false } } }),
  );
  t.true(await until(async () => isReady(await cluster.getApp('identity', 'accounts'))));
  t.like(conditionOf(await cluster.getApp('identity', 'accounts'), 'MonitoringAvailable'), {
    status: 'False',
    reason: 'NotRequested',
  });
  t.false(await serviceMonitorExists(cluster));
});
