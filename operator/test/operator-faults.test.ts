import { EXAMPLE_SKELETON_APP, migrationJobName, skeletonAppSpecSchema } from '@skeleton/charts';
import test, { type ExecutionContext } from 'ava';
import { APPLIED_HASH_ANNOTATION, desiredObjects, parseSpec } from '../src/reconcile/desired-state.js';
import type { FailRule } from './support/kube-fake/faults.js';
import {
  exampleApp,
  type FakeCluster,
  isReady,
  startCluster,
  startOperator,
  until,
} from './support/operator-harness.js';

/**
 * Whatever goes wrong between the operator and the API server (failed writes; broken, silent or
 * expired watches), it ends in exactly the state an undisturbed run reaches.
 */

/** The writes a new image leads to: the migration Job, the Deployment and the app's status. */
const OPERATOR_WRITES = /\/(jobs|deployments)\/|\/status$/;

const NEXT_IMAGE = 'registry.example.com/skeleton-api:1.5.0';

const exampleSpec = () => skeletonAppSpecSchema.parse(EXAMPLE_SKELETON_APP.spec);

/**
 * What a run converged to: each child, and whether it carries the configuration the app's current
 * spec renders to (uids differ between runs, so the fingerprints themselves cannot be compared);
 * the status without its times.
 */
async function convergedState(cluster: FakeCluster) {
  const app = await cluster.getApp('identity', 'accounts');
  const parsed = parseSpec(app ?? {});
  if (!app || !parsed.ok) throw new Error('the app is gone or its spec invalid');
  const current = new Map(
    desiredObjects({ name: 'accounts', namespace: 'identity', uid: app.metadata.uid ?? '' }, parsed.spec, {
      approvedImage: parsed.spec.image,
      serviceMonitorAvailable: false,
    }).map((object) => [
      `${object.kind}/${object.metadata.name}`,
      object.metadata.annotations?.[APPLIED_HASH_ANNOTATION],
    ]),
  );
  const children = (await cluster.appliedChildren('identity', 'accounts')).map((child) => {
    const [id = '', hash] = child.split('@');
    return `${id} ${current.get(id) === hash ? 'current' : 'from an earlier spec'}`;
  });
  // Key ids and rotation times are random and timed per run: the key set is compared by shape.
  const conditions = (app.status?.conditions ?? []).map(({ lastTransitionTime: _time, ...rest }) =>
    rest.type === 'KeysRotated' ? { ...rest, message: 'signing with the current key' } : rest,
  );
  const { currentKeyId, lastRotationTime, ...status } = app.status ?? {};
  return {
    children,
    status: {
      ...status,
      conditions,
      keyIdSet: currentKeyId !== undefined,
      rotated: lastRotationTime !== undefined,
    },
    finalizers: app.metadata.finalizers,
  };
}

interface Disruption {
  /** Before the app is created. */
  beforeCreate?(cluster: FakeCluster): void;
  /** After it is Ready, just before its spec changes. */
  beforeChange?(cluster: FakeCluster): void;
  watch?: { inactivityTimeoutMs: number };
}

/** Create → Ready → new image → Ready again, disturbed as told; returns the state it converged to. */
async function run(t: ExecutionContext, disruption: Disruption = {}) {
  const cluster = await startCluster({ bookmarkIntervalMs: 100 });
  t.teardown(() => cluster.close());
  await cluster.createNamespace('identity');
  const operator = await startOperator(cluster, {
    watch: {
      inactivityTimeoutMs: disruption.watch?.inactivityTimeoutMs ?? 5_000,
      backoff: { initialMs: 20, maxMs: 200 },
    },
  });
  t.teardown(() => operator.stop());
  disruption.beforeCreate?.(cluster);
  await cluster.createApp(exampleApp('accounts', 'identity'));
  t.true(
    await until(async () => isReady(await cluster.getApp('identity', 'accounts')), 20_000),
    'first Ready',
  );
  disruption.beforeChange?.(cluster);
  await cluster.patchAppSpec('identity', 'accounts', { image: NEXT_IMAGE });
  t.true(
    await until(async () => {
      const app = await cluster.getApp('identity', 'accounts');
      return isReady(app) && app?.status?.currentImage === NEXT_IMAGE;
    }, 20_000),
    'Ready on the new image',
  );
  t.true(await until(() => operator.idle, 10_000), 'nothing left to do');
  return { state: await convergedState(cluster), operator };
}

const retriesOf = async (operator: Awaited<ReturnType<typeof startOperator>>) =>
  (await operator.metrics.registry.getSingleMetric('workqueue_retries_total')?.get())?.values[0]?.value ?? 0;

const writeFailures: [string, FailRule['code']][] = [
  ['409 Conflict', 409],
  ['429 Too Many Requests', 429],
  ['500 Internal Server Error', 500],
];

for (const [name, code] of writeFailures) {
  test(`${name} on writes: retried with back-off into the undisturbed state`, async (t) => {
    const baseline = (await run(t)).state;
    const { state, operator } = await run(t, {
      beforeCreate: (cluster) =>
        cluster.fake.faults.failNext({ verb: 'patch', count: 6, code, retryAfterSeconds: 0 }),
      // Not the test's own spec change: the operator's writes that follow it.
      beforeChange: (cluster) =>
        cluster.fake.faults.failNext({
          verb: 'patch',
          path: OPERATOR_WRITES,
          count: 3,
          code,
          retryAfterSeconds: 0,
        }),
    });
    t.deepEqual(state, baseline);
    t.true((await retriesOf(operator)) >= 2, 'the failures were retried');
    t.true(
      operator.logger.lines.some((line) => line.msg === 'reconcile failed; retrying'),
      'and logged',
    );
  });
}

test('dropped watches: re-watched from the last resourceVersion, no change missed', async (t) => {
  const baseline = (await run(t)).state;
  const { state } = await run(t, { beforeChange: (cluster) => cluster.fake.faults.dropWatches() });
  t.deepEqual(
    baseline.children.filter((child) => !child.endsWith(' current')),
    [`Job/${migrationJobName('accounts', exampleSpec())} from an earlier spec`],
    'everything carries the current spec but the first migration Job, kept for its logs',
  );
  t.deepEqual(state, baseline);
});

test('stalled watches: restarted after the inactivity timeout, no change missed', async (t) => {
  const baseline = (await run(t)).state;
  const { state, operator } = await run(t, {
    watch: { inactivityTimeoutMs: 500 },
    beforeChange: (cluster) => cluster.fake.faults.stallWatches(),
  });
  t.deepEqual(state, baseline);
  t.true(operator.logger.lines.some((line) => line.msg === 'watch inactive, restarting'));
});

test('410 Expired: the caches relist and reconcile what changed meanwhile', async (t) => {
  const baseline = (await run(t)).state;
  const { state, operator } = await run(t, {
    beforeChange: (cluster) => cluster.fake.faults.compactHistory(),
  });
  t.deepEqual(state, baseline);
  t.true(operator.logger.lines.some((line) => line.msg === 'watch expired (410), relisting'));
});
