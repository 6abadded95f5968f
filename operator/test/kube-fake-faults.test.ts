import * as k8s from '@kubernetes/client-node';
import test from 'ava';
import { type FakeApiServer, startFakeApiServer } from './support/kube-fake/fake-api-server.js';
import { kubeConfigFor } from './support/kube-fake/kubeconfig.js';

/** Fault injection and request counting, driven through @kubernetes/client-node over HTTP. */
let fake: FakeApiServer;
let core: k8s.CoreV1Api;
let config: k8s.KubeConfig;

test.before(async () => {
  fake = await startFakeApiServer();
  config = kubeConfigFor(fake.url);
  core = config.makeApiClient(k8s.CoreV1Api);
});

test.afterEach.always(() => {
  fake.faults.clear();
  fake.faults.resumeWatches();
});

test.after.always(async () => {
  await fake?.close();
});

const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof k8s.ApiException) {
      return {
        code: error.code,
        body: JSON.parse(String(error.body)) as k8s.V1Status,
        headers: error.headers as Record<string, string>,
      };
    }
    throw error;
  }
  throw new Error('the request succeeded');
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a watch on a namespace's configmaps; resolves once the stream is established. */
async function watchConfigMaps(namespace: string, from?: string) {
  const events: { type: string; object: k8s.V1ConfigMap | k8s.V1Status }[] = [];
  let resolveDone: (error: unknown) => void = () => {};
  const done = new Promise<unknown>((resolve) => {
    resolveDone = resolve;
  });
  const resourceVersion =
    from ?? (await core.listNamespacedConfigMap({ namespace })).metadata?.resourceVersion;
  const controller = await new k8s.Watch(config).watch(
    `/api/v1/namespaces/${namespace}/configmaps`,
    { resourceVersion },
    (type, object) => events.push({ type, object }),
    (error) => resolveDone(error ?? null),
  );
  return { events, done, controller };
}

const until = async (condition: () => boolean, ms = 2_000) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await sleep(10);
  return condition();
};

test.serial('failNext 409 answers the next update with a Conflict Status, then updates pass', async (t) => {
  const cm = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'conflicted' } },
  });
  fake.faults.failNext({ verb: 'update', path: /\/configmaps\/conflicted$/, count: 1, code: 409 });
  const replace = () =>
    core.replaceNamespacedConfigMap({
      name: 'conflicted',
      namespace: 'default',
      body: { ...cm, data: { k: 'v' } },
    });
  const failure = await failureOf(replace());
  t.is(failure.code, 409);
  t.like(failure.body, { kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
  t.regex(failure.body.message ?? '', /Operation cannot be fulfilled on configmaps "conflicted"/);
  const replaced = await replace();
  t.deepEqual(replaced.data, { k: 'v' });
});

test.serial('failNext only hits matching verbs: a get is untouched by an update fault', async (t) => {
  fake.faults.failNext({ verb: 'update', count: 1, code: 500 });
  await t.notThrowsAsync(core.readNamespace({ name: 'default' }));
  t.is(
    (await failureOf(core.replaceNamespace({ name: 'default', body: { metadata: { name: 'default' } } })))
      .code,
    500,
  );
});

test.serial('failNext 429 carries a Retry-After header and details.retryAfterSeconds', async (t) => {
  fake.faults.failNext({
    verb: 'list',
    path: '/api/v1/namespaces',
    count: 2,
    code: 429,
    retryAfterSeconds: 7,
  });
  for (let i = 0; i < 2; i++) {
    const failure = await failureOf(core.listNamespace());
    t.is(failure.code, 429);
    t.is(failure.headers['retry-after'], '7');
    t.like(failure.body, { reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 7 } });
  }
  await t.notThrowsAsync(core.listNamespace(), 'count is honoured');
});

test.serial('failNext 500 and 503 answer InternalError and ServiceUnavailable', async (t) => {
  fake.faults.failNext({ verb: 'get', count: 1, code: 500 });
  fake.faults.failNext({ verb: 'create', count: 1, code: 503 });
  const internal = await failureOf(core.readNamespace({ name: 'default' }));
  t.like(internal, { code: 500, body: { reason: 'InternalError', code: 500 } });
  const unavailable = await failureOf(
    core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'unavailable' } } }),
  );
  t.like(unavailable, { code: 503, body: { reason: 'ServiceUnavailable', code: 503 } });
  t.is(
    (await failureOf(core.readNamespacedConfigMap({ name: 'unavailable', namespace: 'default' }))).code,
    404,
    'the failed create wrote nothing',
  );
});

test.serial('addLatency delays matching requests only', async (t) => {
  const remove = fake.faults.addLatency({ verb: 'get', path: /\/namespaces\/default$/, ms: 150 });
  let started = Date.now();
  await core.readNamespace({ name: 'default' });
  t.true(Date.now() - started >= 140, `slow get took ${Date.now() - started}ms`);
  started = Date.now();
  await core.listNamespace();
  t.true(Date.now() - started < 140, 'a list is not delayed');
  remove();
  started = Date.now();
  await core.readNamespace({ name: 'default' });
  t.true(Date.now() - started < 140, 'removed');
});

test.serial('dropWatches ends an open Watch abruptly: its done callback fires', async (t) => {
  await core.createNamespace({ body: { metadata: { name: 'dropped' } } });
  const watch = await watchConfigMaps('dropped');
  fake.faults.dropWatches();
  const outcome = await Promise.race([watch.done.then(() => 'done'), sleep(2_000).then(() => 'timeout')]);
  t.is(outcome, 'done');
});

test.serial('stallWatches holds events back until resumeWatches', async (t) => {
  await core.createNamespace({ body: { metadata: { name: 'stalled' } } });
  const watch = await watchConfigMaps('stalled');
  fake.faults.stallWatches();
  await core.createNamespacedConfigMap({ namespace: 'stalled', body: { metadata: { name: 'late' } } });
  await sleep(200);
  t.is(watch.events.length, 0, 'nothing arrives while stalled');
  fake.faults.resumeWatches();
  t.true(await until(() => watch.events.length === 1));
  t.like(watch.events[0], { type: 'ADDED', object: { metadata: { name: 'late' } } });
  await core.createNamespacedConfigMap({ namespace: 'stalled', body: { metadata: { name: 'live' } } });
  t.true(await until(() => watch.events.length === 2), 'the stream is live again');
  watch.controller.abort();
});

test.serial(
  'compactHistory ends open watches with an ERROR 410 Expired event; old versions are gone',
  async (t) => {
    await core.createNamespace({ body: { metadata: { name: 'compacted' } } });
    const before = await core.listNamespacedConfigMap({ namespace: 'compacted' });
    await core.createNamespacedConfigMap({ namespace: 'compacted', body: { metadata: { name: 'c' } } });
    const watch = await watchConfigMaps('compacted');
    fake.faults.compactHistory();
    await watch.done;
    t.is(watch.events.length, 1);
    t.like(watch.events[0], { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });

    // Starting again from before the compaction is answered 200 with one ERROR 410 Expired event,
    // as kube-apiserver does, and the stream ends.
    const again = await watchConfigMaps('compacted', before.metadata?.resourceVersion);
    await again.done;
    t.is(again.events.length, 1, 'resuming from before: only the error');
    t.like(again.events[0], { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  },
);

test.serial('requests counts by Kubernetes verb; only reads means zero writes', async (t) => {
  fake.faults.resetCounts();
  await core.listNamespace();
  await core.readNamespace({ name: 'default' });
  await core.listNamespacedConfigMap({ namespace: 'default' });
  t.deepEqual(fake.faults.requests.byVerb, { list: 2, get: 1 });
  t.is(fake.faults.writes(), 0);
  t.deepEqual(fake.faults.requests.entries[1], { verb: 'get', path: '/api/v1/namespaces/default' });

  const cm = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'counted' } },
  });
  await core.replaceNamespacedConfigMap({ name: 'counted', namespace: 'default', body: cm });
  await core.patchNamespacedConfigMap({
    name: 'counted',
    namespace: 'default',
    body: [{ op: 'add', path: '/data', value: { a: 'b' } }],
  });
  await core.deleteNamespacedConfigMap({ name: 'counted', namespace: 'default' });
  const watch = await watchConfigMaps('default');
  watch.controller.abort();
  t.like(fake.faults.requests.byVerb, { create: 1, update: 1, patch: 1, delete: 1, watch: 1, list: 3 });
  t.is(fake.faults.writes(), 4);
  t.is(fake.faults.requests.count('patch', /\/configmaps\/counted$/), 1);
  fake.faults.resetCounts();
  t.is(fake.faults.requests.entries.length, 0);
});

test.serial('injected failures are counted too', async (t) => {
  fake.faults.resetCounts();
  fake.faults.failNext({ verb: 'delete', count: 1, code: 500 });
  await failureOf(core.deleteNamespacedConfigMap({ name: 'nothing', namespace: 'default' }));
  t.is(fake.faults.writes(), 1);
});
