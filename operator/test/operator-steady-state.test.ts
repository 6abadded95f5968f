import test from 'ava';
import {
  exampleApp,
  isReady,
  type SkeletonApp,
  settled,
  startCluster,
  startOperator,
  until,
} from './support/operator-harness.js';

/** Level-based and idempotent: a pass over an unchanged world writes nothing. */

const APPS = 100;

const reconciled = async (operator: Awaited<ReturnType<typeof startOperator>>) => {
  const metric = await operator.metrics.registry.getSingleMetric('controller_runtime_reconcile_total')?.get();
  return (metric?.values ?? []).reduce((sum, value) => sum + value.value, 0);
};

test(`a forced resync over ${APPS} ready SkeletonApps makes zero write requests`, async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.createNamespace('fleet');
  const operator = await startOperator(cluster);
  t.teardown(() => operator.stop());

  await Promise.all(
    Array.from({ length: APPS }, (_, i) => cluster.createApp(exampleApp(`app-${i}`, 'fleet'))),
  );
  const allReady = async () => {
    const list = (await cluster.custom.listNamespacedCustomObject({
      group: 'platform.skeleton.dev',
      version: 'v1alpha1',
      plural: 'skeletonapps',
      namespace: 'fleet',
    })) as { items: SkeletonApp[] };
    return list.items.length === APPS && list.items.every(isReady);
  };
  t.true(await until(allReady, 60_000), 'every app Ready');
  t.true(await settled(cluster, operator), 'the queue drained');

  cluster.fake.faults.resetCounts();
  const before = await reconciled(operator);
  operator.resync();
  t.true(
    await until(async () => (await reconciled(operator)) >= before + APPS, 30_000),
    'every app reconciled',
  );
  t.true(await settled(cluster, operator));
  t.is(cluster.fake.faults.writes(), 0, 'no create, update, patch or delete');
});
