import { EXAMPLE_SKELETON_APP } from '@skeleton/charts';
import test from 'ava';
import { createKubeWriter } from '../src/kube/kube-writer.js';
import type { SkeletonAppObject } from '../src/reconcile/desired-state.js';
import type { SkeletonAppStatus } from '../src/status/skeleton-app-status.js';
import { startCluster } from './support/operator-harness.js';

/** The writer's requests carry the signal each write is given, so a timed-out reconcile's are aborted. */

const APP: SkeletonAppObject = {
  apiVersion: EXAMPLE_SKELETON_APP.apiVersion,
  kind: 'SkeletonApp',
  metadata: { name: 'accounts', namespace: 'identity', resourceVersion: '1' },
  spec: EXAMPLE_SKELETON_APP.spec,
};
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };

async function writerOnFake() {
  const cluster = await startCluster();
  await cluster.createNamespace('identity');
  cluster.resetWrites();
  return { cluster, writer: createKubeWriter({ kubeConfig: cluster.kubeConfig, remember: () => {} }) };
}

test('a write whose signal is aborted sends nothing, not even discovery', async (t) => {
  const { cluster, writer } = await writerOnFake();
  t.teardown(() => cluster.close());
  const requestsBefore = cluster.fake.faults.requests.entries.length;
  const aborted = AbortSignal.abort();
  const writes = {
    apply: () =>
      writer.apply({ ...CONFIG_MAP, metadata: { name: 'settings', namespace: 'identity' } }, aborted),
    remove: () =>
      writer.remove(CONFIG_MAP, { metadata: { name: 'settings', namespace: 'identity' } }, aborted),
    setFinalizers: () => writer.setFinalizers(APP, [], aborted),
    patchStatus: () => writer.patchStatus(APP, undefined, { conditions: [] } as SkeletonAppStatus, aborted),
  };
  // node-fetch's AbortError is not a native Error, hence `any`.
  for (const [name, write] of Object.entries(writes))
    await t.throwsAsync(write, { any: true, name: 'AbortError' }, name);
  t.is(cluster.fake.faults.requests.entries.length, requestsBefore);
});

test('an apply in flight is cut off when its signal aborts', async (t) => {
  const { cluster, writer } = await writerOnFake();
  t.teardown(() => cluster.close());
  cluster.fake.faults.addLatency({ verb: 'patch', path: /\/configmaps\//, ms: 3_000 });
  const controller = new AbortController();
  const started = performance.now();
  const apply = writer.apply(
    { ...CONFIG_MAP, metadata: { name: 'settings', namespace: 'identity' } },
    controller.signal,
  );
  setTimeout(() => controller.abort(), 100);
  await t.throwsAsync(apply, { any: true, name: 'AbortError' });
  t.true(performance.now() - started < 1_500, 'at the abort, not when the answer would have come');
});
