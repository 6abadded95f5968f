import * as k8s from '@kubernetes/client-node';
import { SKELETON_APP } from '@skeleton/charts';
import { ROTATE_KEYS_ANNOTATION } from '../src/keys/key-set-secret.js';
import { onEachBackend } from './support/each-backend.js';
import {
  clusterWithOperator,
  conditionOf,
  exampleApp,
  isReady,
  startOperator,
  until,
  untilReason,
} from './support/operator-harness.js';

/**
 * The key-set Secret is watched: deleted or damaged, it is put back within seconds with the same keys,
 * so no signed-in user loses their access token.
 */

const SECRET = 'accounts-jwt-keys';

onEachBackend(
  'a deleted or damaged key-set Secret is put back within seconds with the same keys',
  async (t, backend) => {
    const { cluster, namespace } = await clusterWithOperator(t, {}, backend);
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))), 'Ready');
    const keysOf = async () =>
      (await cluster.core.readNamespacedSecret({ name: SECRET, namespace }).catch(() => undefined))?.data?.[
        'keys.json'
      ];
    const original = await keysOf();
    t.truthy(original);
    const within = (check: () => Promise<boolean>) => until(check, 15_000);

    await cluster.core.deleteNamespacedSecret({ name: SECRET, namespace });
    t.true(await within(async () => (await keysOf()) === original), 'deleted: back with the same keys');
    t.true(
      await within(
        async () =>
          conditionOf(await cluster.getApp(namespace, 'accounts'), 'KeysRotated')?.reason ===
          'KeySetRestored',
      ),
      'KeysRotated True / KeySetRestored',
    );
    t.true(
      await within(async () =>
        (await cluster.core.listNamespacedEvent({ namespace })).items.some(
          (event) => event.reason === 'KeySetRestored' && event.type === 'Warning',
        ),
      ),
      'a Warning event says so',
    );

    const secret = await cluster.core.readNamespacedSecret({ name: SECRET, namespace });
    await cluster.core.replaceNamespacedSecret({
      name: SECRET,
      namespace,
      body: { ...secret, data: { 'keys.json': Buffer.from('not a key set').toString('base64') } },
    });
    t.true(await within(async () => (await keysOf()) === original), 'damaged: back with the same keys');
  },
);

onEachBackend(
  'a key set lost while no replica held a copy is reported, and replaced only when asked',
  async (t, backend) => {
    const { cluster, namespace, operator } = await clusterWithOperator(t, {}, backend);
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))), 'Ready');
    await operator.stop();
    await cluster.core.deleteNamespacedSecret({ name: SECRET, namespace });
    const next = await startOperator(cluster);
    t.teardown(() => next.stop());

    t.true(
      await untilReason(cluster, namespace, 'accounts', 'KeysRotated', 'KeySetLost'),
      'KeysRotated False / KeySetLost',
    );
    const lost = await cluster.getApp(namespace, 'accounts');
    t.like(conditionOf(lost, 'Degraded'), { status: 'True', reason: 'KeySetLost' });
    t.is(
      await cluster.core.readNamespacedSecret({ name: SECRET, namespace }).catch(() => undefined),
      undefined,
      'no new key set: it would sign everyone out',
    );

    await cluster.custom.patchNamespacedCustomObject(
      {
        group: SKELETON_APP.group,
        version: SKELETON_APP.version,
        plural: SKELETON_APP.plural,
        namespace,
        name: 'accounts',
        body: { metadata: { annotations: { [ROTATE_KEYS_ANNOTATION]: 'after-loss' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    t.true(
      await until(async () =>
        Boolean(await cluster.core.readNamespacedSecret({ name: SECRET, namespace }).catch(() => undefined)),
      ),
      'asked for, a new key set is made',
    );
    t.true(
      await until(
        async () =>
          conditionOf(await cluster.getApp(namespace, 'accounts'), 'KeysRotated')?.status === 'True',
      ),
    );
  },
);
