import * as k8s from '@kubernetes/client-node';
import test, { type ExecutionContext } from 'ava';
import type { OperatorOptions } from '../src/operator.js';
import { onEachBackend } from './support/each-backend.js';
import {
  type Backend,
  exampleApp,
  isReady,
  leaseNameOn,
  operatorConfig,
  operatorNamespaceOn,
  sleep,
  startCluster,
  startClusterOn,
  startOperator,
  until,
} from './support/operator-harness.js';

/** Two operator instances: one leader reconciles, the other stands by with warm caches and takes over. */

/**
 * Short enough for a quick handover, long enough that a renewal delayed by a busy machine (the real
 * control plane and the other suites share two cores in CI) is not mistaken for a lost Lease: with
 * the whole suite running, a new leader's first renewal, slowed by its first reconciles, has been
 * seen to finish more than 3 s after it acquired the Lease.
 */
const LEASE = { leaseDurationSeconds: 6, renewDeadlineSeconds: 5, retryPeriodSeconds: 0.5 };

const configFor = (identity: string) =>
  operatorConfig({
    leaderElection: {
      ...operatorConfig().leaderElection,
      ...LEASE,
      enabled: true,
      identity,
      namespace: 'skeleton-system',
    },
  });

const reconciles = async (operator: Awaited<ReturnType<typeof startOperator>>) => {
  const metric = await operator.metrics.registry.getSingleMetric('controller_runtime_reconcile_total')?.get();
  return (metric?.values ?? []).reduce((sum, value) => sum + value.value, 0);
};

const leaderGauge = async (operator: Awaited<ReturnType<typeof startOperator>>) =>
  (await operator.metrics.registry.getSingleMetric('leader_election_master_status')?.get())?.values[0]?.value;

/**
 * A cluster on `backend` with the test's namespace, operator-a leading and operator-b (with
 * `standby`'s options) started after it, all stopped at the test's end.
 */
async function leaderAndStandby(
  t: ExecutionContext,
  backend: Backend,
  standby: Partial<Omit<OperatorOptions, 'kubeConfig' | 'config'>> = {},
) {
  const cluster = await startClusterOn(backend);
  t.teardown(() => cluster.close());
  const namespace = await cluster.createNamespace('identity');
  const operatorNamespace = await operatorNamespaceOn(cluster);
  const first = await startOperator(cluster, { config: configFor('operator-a') });
  t.teardown(() => first.stop());
  t.true(await until(() => first.leading), 'the first instance leads');
  const second = await startOperator(cluster, { ...standby, config: configFor('operator-b') });
  t.teardown(() => second.stop());
  const readLease = () =>
    cluster.kubeConfig
      .makeApiClient(k8s.CoordinationV1Api)
      .readNamespacedLease({ name: leaseNameOn(cluster), namespace: operatorNamespace });
  return { cluster, namespace, first, second, readLease };
}

onEachBackend(
  'two instances elect one leader; killing it hands over within the lease duration',
  async (t, backend) => {
    const { cluster, namespace, first, second, readLease } = await leaderAndStandby(t, backend);
    t.true(second.ready, 'the standby has synced caches: it is ready without leading');

    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))));
    t.false(second.leading);
    t.is(await reconciles(second), 0, 'only the leader reconciles');
    t.is(await leaderGauge(first), 1);
    t.is(await leaderGauge(second), 0);

    const killedAt = performance.now();
    await first.kill();
    t.true(await until(() => second.leading, 10_000), 'the standby takes over');
    const handover = (performance.now() - killedAt) / 1000;
    t.log(`handover after ${handover.toFixed(2)} s (lease ${LEASE.leaseDurationSeconds} s)`);
    t.true(
      handover <= LEASE.leaseDurationSeconds + 2 * LEASE.retryPeriodSeconds * 2.2,
      'within the lease duration',
    );

    const lease = await readLease();
    t.is(lease.spec?.holderIdentity, 'operator-b');
    t.is(lease.spec?.leaseTransitions, 1);

    const image = 'registry.example.com/skeleton-api:1.5.0';
    await cluster.patchAppSpec(namespace, 'accounts', { image });
    t.true(
      await until(async () => {
        const app = await cluster.getApp(namespace, 'accounts');
        return isReady(app) && app?.status?.currentImage === image;
      }),
      'the new leader reconciles',
    );
    for (const [identity, operator] of [
      ['operator-a', first],
      ['operator-b', second],
    ] as const)
      t.deepEqual(
        operator.logger.lines.filter((line) => line.level === 'warn' || line.level === 'error'),
        [],
        `${identity}: no failed or conflicting write`,
      );
  },
);

onEachBackend(
  'stopping the leader releases the Lease: the standby takes over at once',
  async (t, backend) => {
    const cluster = await startClusterOn(backend);
    t.teardown(() => cluster.close());
    await cluster.createNamespace('identity');
    await operatorNamespaceOn(cluster);
    const slowLease = {
      ...configFor('operator-a').leaderElection,
      leaseDurationSeconds: 30,
      renewDeadlineSeconds: 20,
    };
    const first = await startOperator(cluster, { config: operatorConfig({ leaderElection: slowLease }) });
    t.teardown(() => first.stop());
    t.true(await until(() => first.leading));
    const second = await startOperator(cluster, {
      config: operatorConfig({ leaderElection: { ...slowLease, identity: 'operator-b' } }),
    });
    t.teardown(() => second.stop());

    await first.stop();
    t.false(first.leading);
    t.true(await until(() => second.leading, 5_000), 'long before the 30 s lease would have expired');
  },
);

onEachBackend(
  'a standby whose clock runs 20 s fast leaves the renewed Lease alone, and takes it only after watching it unchanged for the lease duration',
  async (t, backend) => {
    const {
      first,
      second: fast,
      readLease,
    } = await leaderAndStandby(t, backend, {
      clock: () => new Date(Date.now() + 20_000),
    });

    // By the standby's clock every renewTime is 20 s old, far past renewTime + leaseDurationSeconds.
    let fastLed = false;
    const watchUntil = Date.now() + (LEASE.leaseDurationSeconds + 2) * 1000;
    while (Date.now() < watchUntil) {
      if (fast.leading) fastLed = true;
      await sleep(20);
    }
    t.false(fastLed, 'the standby never took the Lease while it was renewed');
    t.true(first.leading);

    await first.kill();
    const lease = await readLease();
    t.is(lease.spec?.holderIdentity, 'operator-a');
    const lastRenewal = Date.parse(String(lease.spec?.renewTime));
    t.true(await until(() => fast.leading, 10_000), 'the standby takes over');
    const after = (Date.now() - lastRenewal) / 1000;
    t.log(`took over ${after.toFixed(2)} s after the last renewal (lease ${LEASE.leaseDurationSeconds} s)`);
    t.true(after >= LEASE.leaseDurationSeconds, 'not before the lease duration after the last renewal');
  },
);

test('a leader that cannot renew its Lease stops reconciling and says so, as controller-runtime exits', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.createNamespace('skeleton-system');
  let lost = 0;
  const operator = await startOperator(cluster, {
    config: configFor('operator-a'),
    onLostLeadership: () => {
      lost++;
    },
  });
  t.teardown(() => operator.stop());
  t.true(await until(() => operator.leading));

  cluster.fake.faults.failNext({ verb: 'update', path: /\/leases\//, count: 1_000, code: 500 });
  t.true(await until(() => lost === 1, 10_000), 'onLostLeadership called');
  t.false(operator.leading);
  t.is(await leaderGauge(operator), 0);
  t.true(operator.logger.lines.some((line) => line.level === 'error' && /lost leadership/.test(line.msg)));
});
