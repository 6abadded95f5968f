import test from 'ava';
import {
  CONTROLLER_MANAGER,
  type SimulatedControllerOptions,
  startSimulatedControllers,
} from './support/kube-fake/controllers.js';
import { KubeApi } from './support/kube-fake/kube-api.js';
import { ObjectStore, type StoredEvent } from './support/kube-fake/object-store.js';
import { ResourceRegistry, type ResourceType } from './support/kube-fake/resource-registry.js';
import type { KubeObject } from './support/kube-fake/types.js';

type Json = Record<string, unknown>;

interface World {
  api: KubeApi;
  store: ObjectStore;
  deployments: ResourceType;
  jobs: ResourceType;
  hpas: ResourceType;
  stop: () => void;
}

/** A fresh fake per test, its controllers stopped when the test ends. */
function world(t: { teardown: (fn: () => void) => void }, options: SimulatedControllerOptions = {}): World {
  const registry = new ResourceRegistry();
  const store = new ObjectStore();
  const api = new KubeApi(registry, store);
  const find = (group: string, version: string, plural: string) =>
    registry.find(group, version, plural) as ResourceType;
  // An unexpected error surfaces as an uncaught exception, which fails the run.
  const controllers = startSimulatedControllers(api, {
    onError: (error) => {
      throw error;
    },
    ...options,
  });
  t.teardown(() => controllers.stop());
  return {
    api,
    store,
    deployments: find('apps', 'v1', 'deployments'),
    jobs: find('batch', 'v1', 'jobs'),
    hpas: find('autoscaling', 'v2', 'horizontalpodautoscalers'),
    stop: () => controllers.stop(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `read` returns something `ok` accepts; fails after `timeoutMs`. */
async function waitFor<T>(read: () => T, ok: (value: T) => boolean, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await sleep(5);
  }
}

const statusOf = (object: KubeObject) => (object.status ?? {}) as Json;
const conditions = (object: KubeObject) =>
  ((statusOf(object).conditions ?? []) as Json[]).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
  }));
const condition = (object: KubeObject, type: string) =>
  ((statusOf(object).conditions ?? []) as Json[]).find((c) => c.type === type);

const deployment = (name: string, image = 'nginx:1.27', replicas: number | null = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    ...(replicas === null ? {} : { replicas }),
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
  },
});

const job = (name: string, image: string, backoffLimit?: number): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: {
    ...(backoffLimit === undefined ? {} : { backoffLimit }),
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image }] } },
  },
});

const hpa = (name: string, target: string, minReplicas: number): KubeObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
    minReplicas,
    maxReplicas: 10,
  },
});

const available = (generation: number, replicas: number) => (object: KubeObject) => {
  const status = statusOf(object);
  return (
    status.observedGeneration === generation &&
    status.readyReplicas === replicas &&
    condition(object, 'Available')?.status === 'True' &&
    condition(object, 'Progressing')?.reason === 'NewReplicaSetAvailable'
  );
};

/** Every event of a kind from now on. */
function record(store: ObjectStore, resource: ResourceType): StoredEvent[] {
  const events: StoredEvent[] = [];
  store.watch({ resource }, Number(store.resourceVersion), (event) => events.push(event));
  return events;
}

test('a new Deployment rolls out: ReplicaSetUpdated first, then Available with every replica ready', async (t) => {
  const { api, deployments } = world(t, { deployment: { readyAfterMs: 60 }, job: false, hpa: false });
  api.create(deployments, 'default', deployment('web'), { manager: 'test' });
  const get = () => api.get(deployments, 'default', 'web');

  const progressing = await waitFor(get, (d) => statusOf(d).observedGeneration === 1);
  t.is(statusOf(progressing).readyReplicas, undefined);
  t.is(statusOf(progressing).updatedReplicas, undefined);
  t.deepEqual(conditions(progressing), [
    { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
    { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
  ]);

  const ready = await waitFor(get, available(1, 2));
  const { conditions: _conditions, ...counts } = statusOf(ready);
  t.deepEqual(counts, {
    observedGeneration: 1,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 2,
    availableReplicas: 2,
  });
  t.deepEqual(conditions(ready), [
    { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
    { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
  ]);
  t.regex(
    String(condition(ready, 'Progressing')?.message),
    /^ReplicaSet "web-[0-9a-f]{10}" has successfully/,
  );
  const statusWriter = ready.metadata.managedFields?.find((entry) => entry.subresource === 'status');
  t.is(statusWriter?.manager, CONTROLLER_MANAGER);
  t.is(statusWriter?.operation, 'Update');
});

test('a pod template change is a rollout: observedGeneration moves, ready counts reset, then recover', async (t) => {
  const { api, deployments } = world(t, { deployment: { readyAfterMs: 80 }, job: false, hpa: false });
  api.create(deployments, 'default', deployment('web'), { manager: 'test' });
  const get = () => api.get(deployments, 'default', 'web');
  const before = await waitFor(get, available(1, 2));

  const changed = structuredClone(before);
  (changed.spec as { template: { spec: { containers: Json[] } } }).template.spec.containers[0] = {
    name: 'app',
    image: 'nginx:1.28',
  };
  t.is(api.update(deployments, 'default', 'web', changed, { manager: 'test' }).metadata.generation, 2);

  const rolling = await waitFor(get, (d) => statusOf(d).observedGeneration === 2);
  t.is(statusOf(rolling).readyReplicas, undefined);
  t.is(statusOf(rolling).updatedReplicas, undefined);
  t.is(statusOf(rolling).unavailableReplicas, 2);
  // The old ReplicaSet keeps the Deployment available while the new one comes up.
  t.deepEqual(conditions(rolling), [
    { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
    { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
  ]);

  const after = await waitFor(get, available(2, 2));
  t.is(statusOf(after).updatedReplicas, 2);
  t.is(statusOf(after).unavailableReplicas, undefined);
});

test('a settled Deployment is not rewritten: the controller’s own writes do not loop', async (t) => {
  const { api, store, deployments } = world(t, { deployment: { readyAfterMs: 10 }, job: false, hpa: false });
  const events = record(store, deployments);
  api.create(deployments, 'default', deployment('web'), { manager: 'test' });
  const ready = await waitFor(() => api.get(deployments, 'default', 'web'), available(1, 2));
  await sleep(100);
  t.is(api.get(deployments, 'default', 'web').metadata.resourceVersion, ready.metadata.resourceVersion);
  // ADDED, the rollout's start, its end.
  t.deepEqual(
    events.map((event) => event.type),
    ['ADDED', 'MODIFIED', 'MODIFIED'],
  );
});

test('existing Deployments are handled when the controllers start', async (t) => {
  const registry = new ResourceRegistry();
  const api = new KubeApi(registry, new ObjectStore());
  const deployments = registry.find('apps', 'v1', 'deployments') as ResourceType;
  api.create(deployments, 'default', deployment('early'), { manager: 'test' });
  const controllers = startSimulatedControllers(api, { deployment: { readyAfterMs: 0 } });
  t.teardown(() => controllers.stop());
  await waitFor(() => api.get(deployments, 'default', 'early'), available(1, 2));
  t.pass();
});

test('an HPA rescales the Deployment it targets into its bounds, as the real one does without metrics', async (t) => {
  const { api, deployments, hpas } = world(t, { deployment: { readyAfterMs: 0 }, job: false, hpa: true });
  api.create(deployments, 'default', deployment('scaled', 'nginx:1.27', null), { manager: 'test' });
  api.create(deployments, 'default', deployment('alone', 'nginx:1.27', null), { manager: 'test' });
  await waitFor(() => api.get(deployments, 'default', 'alone'), available(1, 1));
  await waitFor(() => api.get(deployments, 'default', 'scaled'), available(1, 1));
  // An HPA arriving later rescales its target.
  api.create(hpas, 'default', hpa('scaled', 'scaled', 3), { manager: 'test' });
  // Through spec.replicas (the scale subresource on a real cluster), so the generation moves.
  const scaled = await waitFor(() => api.get(deployments, 'default', 'scaled'), available(2, 3));
  t.is(statusOf(scaled).availableReplicas, 3);
  t.is((scaled.spec as { replicas?: number }).replicas, 3);
  t.is(api.get(deployments, 'default', 'alone').metadata.generation, 1, 'no HPA, no rescale');
});

test('an HPA reports its minReplicas as current and desired, able to scale and active', async (t) => {
  const { api, hpas } = world(t, { deployment: false, job: false, hpa: true });
  api.create(hpas, 'default', hpa('web', 'web', 2), { manager: 'test' });
  const status = await waitFor(
    () => api.get(hpas, 'default', 'web'),
    (h) => statusOf(h).currentReplicas !== undefined,
  );
  const { conditions: _conditions, ...rest } = statusOf(status);
  t.deepEqual(rest, { observedGeneration: 1, currentReplicas: 2, desiredReplicas: 2 });
  t.deepEqual(conditions(status), [
    { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
    { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' },
  ]);
  t.is(status.metadata.managedFields?.find((e) => e.subresource === 'status')?.manager, CONTROLLER_MANAGER);
  t.false('lastScaleTime' in statusOf(status));
  await sleep(50);
  t.is(api.get(hpas, 'default', 'web').metadata.resourceVersion, status.metadata.resourceVersion);
});

test('Jobs end as decided by their image: Complete or Failed, with the real conditions', async (t) => {
  const decided: string[] = [];
  const { api, jobs } = world(t, {
    deployment: false,
    hpa: false,
    now: () => new Date('2030-01-02T03:04:05.678Z'),
    job: {
      afterMs: 20,
      decide: (j) => {
        decided.push(j.metadata.name as string);
        const image = (j.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template
          .spec.containers[0]?.image;
        return image?.endsWith(':bad') ? 'Failed' : 'Complete';
      },
    },
  });
  api.create(jobs, 'default', job('good', 'migrate:1.0'), { manager: 'test' });
  api.create(jobs, 'default', job('bad', 'migrate:bad', 2), { manager: 'test' });

  const good = await waitFor(
    () => api.get(jobs, 'default', 'good'),
    (j) => condition(j, 'Complete') !== undefined,
  );
  t.like(statusOf(good), {
    startTime: '2030-01-02T03:04:05Z',
    completionTime: '2030-01-02T03:04:05Z',
    succeeded: 1,
  });
  t.deepEqual(conditions(good), [
    { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached' },
    { type: 'Complete', status: 'True', reason: 'CompletionsReached' },
  ]);

  const bad = await waitFor(
    () => api.get(jobs, 'default', 'bad'),
    (j) => condition(j, 'Failed') !== undefined,
  );
  t.like(statusOf(bad), { startTime: '2030-01-02T03:04:05Z', failed: 3 });
  t.false('completionTime' in statusOf(bad));
  t.deepEqual(conditions(bad), [
    { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
    { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' },
  ]);
  t.is(condition(bad, 'Failed')?.message, 'Job has reached the specified backoff limit');
  t.is(bad.metadata.managedFields?.find((e) => e.subresource === 'status')?.manager, CONTROLLER_MANAGER);

  await sleep(60);
  t.deepEqual(decided.sort(), ['bad', 'good'], 'decided once per Job');
});

test('a Job decided Running stays active; a Job recreated under the same name is decided again', async (t) => {
  let outcome: 'Running' | 'Complete' = 'Running';
  const { api, jobs } = world(t, { deployment: false, hpa: false, job: { decide: () => outcome } });
  api.create(jobs, 'default', job('long', 'worker:1'), { manager: 'test' });
  const running = await waitFor(
    () => api.get(jobs, 'default', 'long'),
    (j) => statusOf(j).active === 1,
  );
  t.is(conditions(running).length, 0);
  t.is(typeof statusOf(running).startTime, 'string');

  outcome = 'Complete';
  await sleep(30);
  t.is(api.get(jobs, 'default', 'long').metadata.resourceVersion, running.metadata.resourceVersion);

  api.delete(jobs, 'default', 'long');
  api.create(jobs, 'default', job('long', 'worker:1'), { manager: 'test' });
  await waitFor(
    () => api.get(jobs, 'default', 'long'),
    (j) => condition(j, 'Complete') !== undefined,
  );
  t.pass();
});

test('objects deleted before their timer fires are let go without errors', async (t) => {
  const errors: unknown[] = [];
  const { api, deployments, jobs } = world(t, {
    deployment: { readyAfterMs: 30 },
    job: { decide: () => 'Complete', afterMs: 30 },
    hpa: false,
    onError: (error) => errors.push(error),
  });
  api.create(deployments, 'default', deployment('brief'), { manager: 'test' });
  api.create(jobs, 'default', job('brief', 'x:1'), { manager: 'test' });
  await waitFor(
    () => api.get(deployments, 'default', 'brief'),
    (d) => statusOf(d).observedGeneration === 1,
  );
  api.delete(deployments, 'default', 'brief');
  api.delete(jobs, 'default', 'brief');
  await sleep(80);
  t.deepEqual(errors, []);
  t.is(api.store.get(deployments, 'default', 'brief'), undefined);
});

test('a controller switched off leaves its kind untouched', async (t) => {
  const { api, store, deployments, hpas } = world(t, { deployment: false, job: false, hpa: true });
  const events = record(store, deployments);
  const created = api.create(deployments, 'default', deployment('web'), { manager: 'test' });
  api.create(hpas, 'default', hpa('web', 'web', 2), { manager: 'test' });
  await waitFor(
    () => api.get(hpas, 'default', 'web'),
    (h) => statusOf(h).currentReplicas === 2,
  );
  await sleep(30);
  const after = api.get(deployments, 'default', 'web');
  t.deepEqual(after.status, {}, 'the empty status it was created with');
  t.is(after.metadata.resourceVersion, created.metadata.resourceVersion);
  t.deepEqual(
    events.map((event) => event.type),
    ['ADDED'],
  );
});

test('stop() cancels pending timers: nothing is written afterwards', async (t) => {
  const { api, store, deployments, jobs, stop } = world(t, {
    deployment: { readyAfterMs: 40 },
    job: { decide: () => 'Complete', afterMs: 40 },
    hpa: true,
  });
  api.create(deployments, 'default', deployment('web'), { manager: 'test' });
  api.create(jobs, 'default', job('once', 'x:1'), { manager: 'test' });
  await waitFor(
    () => api.get(deployments, 'default', 'web'),
    (d) => statusOf(d).observedGeneration === 1,
  );
  stop();
  const revision = store.resourceVersion;
  // Work queued after stop is dropped too.
  api.create(deployments, 'default', deployment('late'), { manager: 'test' });
  await sleep(100);
  t.is(store.resourceVersion, String(Number(revision) + 1));
  t.is(condition(api.get(deployments, 'default', 'web'), 'Progressing')?.reason, 'ReplicaSetUpdated');
  t.deepEqual(api.get(jobs, 'default', 'once').status, {});
  t.deepEqual(api.get(deployments, 'default', 'late').status, {});
});

test('the fake server runs the controllers when asked, and stops them on close', async (t) => {
  const { startFakeApiServer } = await import('./support/kube-fake/fake-api-server.js');
  const fake = await startFakeApiServer({
    controllers: { deployment: { readyAfterMs: 0 }, job: false, hpa: false },
  });
  const deployments = fake.api.registry.find('apps', 'v1', 'deployments');
  if (!deployments) throw new Error('deployments are not served');
  fake.api.create(
    deployments,
    'default',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'served' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'served' } },
        template: { metadata: { labels: { app: 'served' } } },
      },
    },
    { manager: 'test' },
  );
  let status: { availableReplicas?: number } | undefined;
  for (let attempt = 0; attempt < 50 && status?.availableReplicas !== 2; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    status = fake.api.get(deployments, 'default', 'served').status as typeof status;
  }
  t.is(status?.availableReplicas, 2);
  await fake.close();
});
