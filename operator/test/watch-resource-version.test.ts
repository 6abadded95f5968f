import { type ListResult, WatchedCache } from '../src/watch/watched-cache.js';
import { onEachBackend } from './support/each-backend.js';
import { startClusterOn, until } from './support/operator-harness.js';

/**
 * A watch from a resourceVersion the server has not reached (etcd restored from a backup, a lagging
 * replica) is answered with silence, not an error: the cache must notice and list afresh.
 */
onEachBackend(
  'a watch from a resourceVersion ahead of the server is given up for a fresh list',
  async (t, backend) => {
    const cluster = await startClusterOn(backend);
    t.teardown(() => cluster.close());
    const namespace = await cluster.createNamespace('watched');
    let lists = 0;
    const cache = new WatchedCache({
      kubeConfig: cluster.kubeConfig,
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      inactivityTimeoutMs: 1_500,
      relistAfterSilenceMs: 1_000,
      backoff: { initialMs: 20, maxMs: 200 },
      list: async () => {
        const list = (await cluster.core.listNamespacedConfigMap({ namespace })) as ListResult;
        lists += 1;
        if (lists > 1) return list;
        // The first list claims a resourceVersion far ahead of what the server has.
        const ahead = String(Number(list.metadata?.resourceVersion) + 1_000_000);
        return { ...list, metadata: { resourceVersion: ahead } };
      },
      onEvent: () => {},
    });
    await cache.start();
    t.teardown(() => cache.stop());
    await cluster.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after' } } });
    t.true(
      await until(() => cache.get(namespace, 'after') !== undefined, 15_000),
      'the object created afterwards reaches the cache',
    );
    t.true(lists >= 2, `through a fresh list (${lists} lists)`);
  },
);

onEachBackend('each watch asks the server to end it after timeoutSeconds', async (t, backend) => {
  const cluster = await startClusterOn(backend);
  t.teardown(() => cluster.close());
  const namespace = await cluster.createNamespace('watched');
  let watches = 0;
  const cache = new WatchedCache({
    kubeConfig: cluster.kubeConfig,
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    watchTimeoutSeconds: () => {
      watches += 1;
      return 1;
    },
    backoff: { initialMs: 20, maxMs: 200 },
    list: async () => (await cluster.core.listNamespacedConfigMap({ namespace })) as ListResult,
    onEvent: () => {},
  });
  await cache.start();
  t.teardown(() => cache.stop());
  t.true(await until(() => watches >= 3, 15_000), 'ended by the server and started again');
  await cluster.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'later' } } });
  t.true(await until(() => cache.get(namespace, 'later') !== undefined, 10_000));
});
