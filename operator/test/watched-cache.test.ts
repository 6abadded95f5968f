import * as k8s from '@kubernetes/client-node';
import test, { type ExecutionContext } from 'ava';
import { Backoff } from '../src/watch/backoff.js';
import {
  type KubeObject,
  type ListResult,
  WatchedCache,
  type WatchedEventType,
} from '../src/watch/watched-cache.js';
import { type FakeApiServer, startFakeApiServer } from './support/kube-fake/fake-api-server.js';
import { kubeConfigFor } from './support/kube-fake/kubeconfig.js';

/** WatchedCache (list + watch supervision) against the fake kube-apiserver, over real HTTP. */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const until = async (condition: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await sleep(10);
  return condition();
};

interface Recorded {
  type: WatchedEventType;
  name: string | undefined;
  data?: Record<string, string>;
  old?: string;
}

interface Harness {
  fake: FakeApiServer;
  core: k8s.CoreV1Api;
  namespace: string;
  events: Recorded[];
  errors: unknown[];
  logs: string[];
  cache: WatchedCache;
  saw: (type: WatchedEventType, name: string) => Promise<boolean>;
}

const CM_PATH = (namespace: string) => `/api/v1/namespaces/${namespace}/configmaps`;

async function harness(
  t: ExecutionContext,
  options: {
    inactivityTimeoutMs?: number;
    labelSelector?: string;
    fieldSelector?: string;
    onEvent?: (type: WatchedEventType, object: KubeObject) => void;
    seed?: (core: k8s.CoreV1Api, namespace: string) => Promise<void>;
    beforeStart?: (fake: FakeApiServer) => void;
  } = {},
): Promise<Harness> {
  const fake = await startFakeApiServer({ bookmarkIntervalMs: 100 });
  const config = kubeConfigFor(fake.url);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const namespace = 'watched';
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await options.seed?.(core, namespace);
  const events: Recorded[] = [];
  const errors: unknown[] = [];
  const logs: string[] = [];
  const cache = new WatchedCache({
    kubeConfig: config,
    path: CM_PATH(namespace),
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    list: ({ labelSelector, fieldSelector }) =>
      core.listNamespacedConfigMap({ namespace, labelSelector, fieldSelector }),
    inactivityTimeoutMs: options.inactivityTimeoutMs,
    backoff: { initialMs: 20, maxMs: 200, jitter: 0.1 },
    onEvent: (type, object, old) => {
      events.push({
        type,
        name: object.metadata?.name,
        data: (object as k8s.V1ConfigMap).data,
        old: old?.metadata?.resourceVersion,
      });
      options.onEvent?.(type, object);
    },
    onError: (error) => errors.push(error),
    log: (msg) => logs.push(msg),
  });
  t.teardown(async () => {
    await cache.stop();
    await fake.close();
  });
  options.beforeStart?.(fake);
  await cache.start();
  // start() resolves once the list is cached; wait for the watch stream to be open too.
  await until(() => fake.faults.requests.count('watch') >= 1);
  await sleep(50);
  const saw = (type: WatchedEventType, name: string) =>
    until(() => events.some((event) => event.type === type && event.name === name));
  return { fake, core, namespace, events, errors, logs, cache, saw };
}

const configMap = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>) => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

test('the initial list fills the cache and emits added for every object', async (t) => {
  const h = await harness(t, {
    seed: async (core, namespace) => {
      await core.createNamespacedConfigMap({ namespace, body: configMap('a', { v: '1' }) });
      await core.createNamespacedConfigMap({ namespace, body: configMap('b', { v: '1' }) });
    },
  });
  t.deepEqual(
    h.cache
      .list()
      .map((object) => object.metadata?.name)
      .sort(),
    ['a', 'b'],
  );
  t.deepEqual(h.cache.list(h.namespace).length, 2);
  t.deepEqual(h.cache.list('elsewhere'), []);
  t.is(h.cache.get(h.namespace, 'a')?.metadata?.name, 'a');
  t.deepEqual(h.events.map((event) => `${event.type}:${event.name}`).sort(), ['added:a', 'added:b']);
  t.truthy(h.cache.resourceVersion);
});

test('live create, update and delete flow through the watch into the cache', async (t) => {
  const h = await harness(t);
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('live', { v: '1' }) });
  t.true(await h.saw('added', 'live'));
  t.is(h.cache.get(h.namespace, 'live')?.metadata?.name, 'live');
  await h.core.replaceNamespacedConfigMap({
    name: 'live',
    namespace: h.namespace,
    body: configMap('live', { v: '2' }),
  });
  t.true(await h.saw('updated', 'live'));
  const updated = h.events.find((event) => event.type === 'updated');
  t.deepEqual(updated?.data, { v: '2' });
  t.truthy(updated?.old, 'the old object is passed along');
  t.deepEqual((h.cache.get(h.namespace, 'live') as k8s.V1ConfigMap).data, { v: '2' });
  await h.core.deleteNamespacedConfigMap({ name: 'live', namespace: h.namespace });
  t.true(await h.saw('deleted', 'live'));
  t.is(h.cache.get(h.namespace, 'live'), undefined);
});

test('the label selector scopes the list and the watch', async (t) => {
  const h = await harness(t, {
    labelSelector: 'app=mine',
    seed: async (core, namespace) => {
      await core.createNamespacedConfigMap({ namespace, body: configMap('mine', {}, { app: 'mine' }) });
      await core.createNamespacedConfigMap({ namespace, body: configMap('theirs', {}, { app: 'theirs' }) });
    },
  });
  t.deepEqual(
    h.cache.list().map((object) => object.metadata?.name),
    ['mine'],
  );
  await h.core.createNamespacedConfigMap({
    namespace: h.namespace,
    body: configMap('other', {}, { app: 'theirs' }),
  });
  await h.core.createNamespacedConfigMap({
    namespace: h.namespace,
    body: configMap('mine-2', {}, { app: 'mine' }),
  });
  t.true(await h.saw('added', 'mine-2'));
  t.is(h.cache.get(h.namespace, 'other'), undefined);
  t.false(h.events.some((event) => event.name === 'other' || event.name === 'theirs'));
});

test('the field selector scopes the list and the watch', async (t) => {
  const h = await harness(t, {
    fieldSelector: 'metadata.name=mine',
    seed: async (core, namespace) => {
      await core.createNamespacedConfigMap({ namespace, body: configMap('mine', { v: '1' }) });
      await core.createNamespacedConfigMap({ namespace, body: configMap('theirs') });
    },
  });
  t.deepEqual(
    h.cache.list().map((object) => object.metadata?.name),
    ['mine'],
  );
  // 'other' is written first: once the change to 'mine' arrives, an unfiltered watch would have sent it.
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('other') });
  await h.core.replaceNamespacedConfigMap({
    name: 'mine',
    namespace: h.namespace,
    body: configMap('mine', { v: '2' }),
  });
  t.true(await h.saw('updated', 'mine'));
  t.is(h.cache.get(h.namespace, 'other'), undefined);
  t.false(h.events.some((event) => event.name === 'other' || event.name === 'theirs'));
});

test('bookmarks advance the resourceVersion without emitting events', async (t) => {
  const h = await harness(t);
  const before = h.cache.resourceVersion;
  // A write in another namespace moves the store's resourceVersion; only a bookmark can tell us.
  await h.core.createNamespace({ body: { metadata: { name: 'elsewhere' } } });
  await h.core.createNamespacedConfigMap({ namespace: 'elsewhere', body: configMap('x') });
  t.true(await until(() => h.cache.resourceVersion !== before));
  t.deepEqual(h.events, []);
});

test('dropWatches: the cache re-watches and sees a later change', async (t) => {
  const h = await harness(t);
  const watchesBefore = h.fake.faults.requests.count('watch');
  h.fake.faults.dropWatches();
  t.true(await until(() => h.fake.faults.requests.count('watch') > watchesBefore), 're-watched');
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('after-drop') });
  t.true(await h.saw('added', 'after-drop'));
  t.is(h.fake.faults.requests.count('list'), 1, 're-watch from the last resourceVersion, no relist');
});

test('stallWatches with a short inactivity timeout: the watch is restarted and a later change seen', async (t) => {
  const h = await harness(t, { inactivityTimeoutMs: 300 });
  const watchesBefore = h.fake.faults.requests.count('watch');
  h.fake.faults.stallWatches();
  t.true(
    await until(() => h.fake.faults.requests.count('watch') > watchesBefore),
    'a stalled watch (no events, no bookmarks) is restarted',
  );
  t.true(h.logs.some((msg) => msg.includes('inactive')));
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('after-stall') });
  t.true(await h.saw('added', 'after-stall'));
});

test('compactHistory (410): the cache relists and reconciles what changed while the watch was broken', async (t) => {
  const h = await harness(t, {
    seed: async (core, namespace) => {
      await core.createNamespacedConfigMap({ namespace, body: configMap('keep', { v: '1' }) });
      await core.createNamespacedConfigMap({ namespace, body: configMap('doomed') });
      await core.createNamespacedConfigMap({ namespace, body: configMap('changed', { v: '1' }) });
    },
  });
  t.is(h.fake.faults.requests.count('list'), 1);
  // Hold the watch so the changes below reach the cache only through the relist.
  h.fake.faults.stallWatches();
  await h.core.deleteNamespacedConfigMap({ name: 'doomed', namespace: h.namespace });
  await h.core.replaceNamespacedConfigMap({
    name: 'changed',
    namespace: h.namespace,
    body: configMap('changed', { v: '2' }),
  });
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('born') });
  h.fake.faults.compactHistory();
  t.true(await until(() => h.fake.faults.requests.count('list') === 2), 'relisted after 410');
  t.true(await h.saw('deleted', 'doomed'), 'an object deleted while the watch was broken is deleted');
  t.true(await h.saw('updated', 'changed'));
  t.true(await h.saw('added', 'born'));
  t.is(h.cache.get(h.namespace, 'doomed'), undefined);
  t.deepEqual((h.cache.get(h.namespace, 'changed') as k8s.V1ConfigMap).data, { v: '2' });
  t.false(
    h.events.some((event) => event.type !== 'added' && event.name === 'keep'),
    'unchanged: no event',
  );
  // And the watch is live again afterwards.
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('after-relist') });
  t.true(await h.saw('added', 'after-relist'));
});

test('a watch refused with HTTP 410 (resuming from a compacted version) relists and reconciles', async (t) => {
  const h = await harness(t, {
    seed: async (core, namespace) => {
      await core.createNamespacedConfigMap({ namespace, body: configMap('doomed') });
    },
  });
  // Keep the watch down while the object is deleted and the history compacted.
  h.fake.faults.failNext({ verb: 'watch', code: 503, count: 3 });
  h.fake.faults.dropWatches();
  await h.core.deleteNamespacedConfigMap({ name: 'doomed', namespace: h.namespace });
  h.fake.faults.compactHistory();
  t.true(await until(() => h.fake.faults.requests.count('list') === 2), 'relisted after the HTTP 410');
  t.true(h.fake.faults.requests.count('watch') >= 5, 'three refused with 503, then one refused with 410');
  t.true(await h.saw('deleted', 'doomed'));
  t.is(h.cache.get(h.namespace, 'doomed'), undefined);
  t.true(h.logs.some((msg) => msg.includes('410')));
});

test('an injected list 500 is retried with back-off and the start succeeds', async (t) => {
  const h = await harness(t, {
    seed: async (core, namespace) => {
      await core.createNamespacedConfigMap({ namespace, body: configMap('present') });
    },
    beforeStart: (fake) => fake.faults.failNext({ verb: 'list', code: 500, count: 1 }),
  });
  t.is(h.fake.faults.requests.count('list'), 2);
  t.is(h.errors.length, 1, 'the failed list is reported');
  t.true(h.cache.get(h.namespace, 'present') !== undefined);
});

test('a failing watch (503) is retried from the last resourceVersion', async (t) => {
  const h = await harness(t);
  h.fake.faults.failNext({ verb: 'watch', code: 503, count: 2 });
  h.fake.faults.dropWatches();
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('made-while-down') });
  t.true(await h.saw('added', 'made-while-down'), 'resumed from the old resourceVersion: nothing lost');
  t.true(h.errors.some((error) => (error as { statusCode?: number }).statusCode === 503));
  t.is(h.fake.faults.requests.count('list'), 1);
});

test('a throwing handler is reported and later events still arrive', async (t) => {
  const h = await harness(t, {
    onEvent: (_type, object) => {
      if (object.metadata?.name === 'bomb') throw new Error('handler exploded');
    },
  });
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('bomb') });
  t.true(await until(() => h.errors.length === 1));
  t.regex(String(h.errors[0]), /handler exploded/);
  t.true(h.logs.some((msg) => msg.includes('onEvent(added) threw')));
  t.truthy(h.cache.get(h.namespace, 'bomb'), 'the cache is updated even though the handler threw');
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('after-bomb') });
  t.true(await h.saw('added', 'after-bomb'));
});

test('managedFields are stripped from cached objects', async (t) => {
  const h = await harness(t, {
    seed: async (core, namespace) => {
      await core.createNamespacedConfigMap({ namespace, body: configMap('listed'), fieldManager: 'tester' });
    },
  });
  const server = await h.core.readNamespacedConfigMap({ name: 'listed', namespace: h.namespace });
  t.truthy(server.metadata?.managedFields?.length, 'the server does record managedFields');
  t.is(h.cache.get(h.namespace, 'listed')?.metadata?.managedFields, undefined);
  await h.core.createNamespacedConfigMap({
    namespace: h.namespace,
    body: configMap('watched-in'),
    fieldManager: 'tester',
  });
  t.true(await h.saw('added', 'watched-in'));
  t.is(h.cache.get(h.namespace, 'watched-in')?.metadata?.managedFields, undefined);
});

test('stop() ends everything: no requests after it', async (t) => {
  const h = await harness(t);
  await h.cache.stop();
  await sleep(50);
  const count = h.fake.faults.requests.entries.length;
  h.fake.faults.dropWatches();
  await h.core.createNamespacedConfigMap({ namespace: h.namespace, body: configMap('after-stop') });
  await sleep(500);
  t.is(h.fake.faults.requests.entries.length, count + 1, 'only the test’s own create');
  t.false(h.events.some((event) => event.name === 'after-stop'));
});

test('stop() before the first list succeeds rejects start()', async (t) => {
  const fake = await startFakeApiServer();
  t.teardown(() => fake.close());
  const config = kubeConfigFor(fake.url);
  const cache = new WatchedCache({
    kubeConfig: config,
    path: '/api/v1/namespaces/default/configmaps',
    list: () => Promise.reject(new Error('down')),
    backoff: { initialMs: 10, maxMs: 20 },
    onEvent: () => {},
  });
  const started = cache.start();
  await sleep(50);
  await cache.stop();
  await t.throwsAsync(started, { message: /stopped/ });
});

test('synced turns true once the first list is stored, not before', async (t) => {
  const fake = await startFakeApiServer();
  t.teardown(() => fake.close());
  let answerList!: (result: ListResult) => void;
  const cache = new WatchedCache({
    kubeConfig: kubeConfigFor(fake.url),
    path: '/api/v1/namespaces/default/configmaps',
    list: () =>
      new Promise<ListResult>((resolve) => {
        answerList = resolve;
      }),
    onEvent: () => {},
  });
  t.teardown(() => cache.stop());
  t.false(cache.synced, 'not started');
  const started = cache.start();
  t.false(cache.synced, 'the list is still outstanding');
  answerList({ metadata: { resourceVersion: '1' }, items: [] });
  await started;
  t.true(cache.synced);
});

test('remember(): a written object is read back before the watch delivers it', async (t) => {
  const h = await harness(t);
  // Hold the watch: only remember() can put the object into the cache.
  h.fake.faults.stallWatches();
  const written = await h.core.createNamespacedConfigMap({
    namespace: h.namespace,
    body: configMap('written', { v: '1' }),
    fieldManager: 'tester',
  });
  t.is(h.cache.get(h.namespace, 'written'), undefined);
  h.cache.remember(written);
  const cached = h.cache.get(h.namespace, 'written') as k8s.V1ConfigMap | undefined;
  t.is(cached?.metadata?.resourceVersion, written.metadata?.resourceVersion);
  t.deepEqual(cached?.data, { v: '1' });
  t.is(cached?.metadata?.managedFields, undefined, 'stripped, as listed and watched objects are');
  t.deepEqual(h.events, [], 'remembering is not an event');
});

/** A copy of the cached ConfigMap at another resourceVersion, holding other data. */
function variantOf(h: Harness, name: string, resourceVersion: string, data: Record<string, string>) {
  const cached = h.cache.get(h.namespace, name) as k8s.V1ConfigMap;
  return { ...cached, metadata: { ...cached.metadata, resourceVersion }, data };
}

const dataOf = (h: Harness, name: string) => (h.cache.get(h.namespace, name) as k8s.V1ConfigMap).data;

const seedShared = async (core: k8s.CoreV1Api, namespace: string) => {
  await core.createNamespacedConfigMap({ namespace, body: configMap('shared', { v: 'listed' }) });
};

test('remember(): a cached object at a newer integer resourceVersion is kept', async (t) => {
  const h = await harness(t, { seed: seedShared });
  const listedAt = BigInt(h.cache.get(h.namespace, 'shared')?.metadata?.resourceVersion ?? '');
  // Another controller wrote after us and the watch already brought its version in.
  h.cache.remember(variantOf(h, 'shared', String(listedAt - 1n), { v: 'ours, older' }));
  t.deepEqual(dataOf(h, 'shared'), { v: 'listed' });
  h.cache.remember(variantOf(h, 'shared', String(listedAt + 1n), { v: 'ours, newer' }));
  t.deepEqual(dataOf(h, 'shared'), { v: 'ours, newer' });
});

test('remember(): when a resourceVersion is not an integer, the written object is stored', async (t) => {
  const h = await harness(t, { seed: seedShared });
  // resourceVersions are opaque to clients; only etcd's integers may be ordered.
  h.cache.remember(variantOf(h, 'shared', 'opaque-7', { v: 'written, opaque version' }));
  t.deepEqual(dataOf(h, 'shared'), { v: 'written, opaque version' });
  h.cache.remember(variantOf(h, 'shared', '1', { v: 'written over an opaque version' }));
  t.deepEqual(dataOf(h, 'shared'), { v: 'written over an opaque version' });
});

test('Backoff doubles up to the cap, adds bounded jitter and resets', (t) => {
  const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 0.5, random: () => 1 });
  t.deepEqual(
    [backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()],
    [150, 300, 600, 1_000, 1_000],
  );
  backoff.reset();
  t.is(backoff.next(), 150);
  const none = new Backoff({ initialMs: 100, maxMs: 30_000, jitter: 0, random: () => 1 });
  t.is(none.next(), 100);
});
