import * as k8s from '@kubernetes/client-node';
import test from 'ava';
import { type FakeApiServer, startFakeApiServer } from './support/kube-fake/fake-api-server.js';
import { kubeConfigFor } from './support/kube-fake/kubeconfig.js';

/**
 * The fake's rules, each proven through the real client over HTTP and named after the Kubernetes
 * documentation section it follows.
 */
let fake: FakeApiServer;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let config: k8s.KubeConfig;

test.before(async () => {
  fake = await startFakeApiServer({ historySize: 50, bookmarkIntervalMs: 100 });
  config = kubeConfigFor(fake.url);
  core = config.makeApiClient(k8s.CoreV1Api);
  apps = config.makeApiClient(k8s.AppsV1Api);
});

test.after.always(async () => {
  await fake?.close();
});

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof k8s.ApiException ? error.code : String(error);
  }
};

const deployment = (name: string, labels: Record<string, string> = { app: name }): k8s.V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels },
  spec: {
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [{ name: 'api', image: 'api:1' }] } },
  },
});

test.serial(
  'API Concepts, "Resource URIs" and discovery: /version, /api, /apis and group versions',
  async (t) => {
    const version = await config.makeApiClient(k8s.VersionApi).getCode();
    t.is(version.major, '1');
    const groups = await config.makeApiClient(k8s.ApisApi).getAPIVersions();
    for (const name of [
      'apps',
      'batch',
      'autoscaling',
      'policy',
      'networking.k8s.io',
      'coordination.k8s.io',
      'events.k8s.io',
      'apiextensions.k8s.io',
    ]) {
      t.true(
        groups.groups.some((group) => group.name === name),
        name,
      );
    }
    t.false(
      groups.groups.some((group) => group.name === 'monitoring.coreos.com'),
      'no ServiceMonitor API before its CRD',
    );
    const coreResources = await core.getAPIResources();
    t.true(coreResources.resources.some((resource) => resource.name === 'secrets' && resource.namespaced));
  },
);

test.serial(
  'Object metadata ("Names and UIDs", "API conventions: Metadata"): uid, creationTimestamp, resourceVersion, generation',
  async (t) => {
    const created = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('meta') });
    t.regex(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    t.truthy(created.metadata?.creationTimestamp);
    t.is(created.metadata?.generation, 1);
    const rv1 = Number(created.metadata?.resourceVersion);

    const labelled = await apps.replaceNamespacedDeployment({
      name: 'meta',
      namespace: 'default',
      body: { ...created, metadata: { ...created.metadata, labels: { app: 'meta', extra: 'yes' } } },
    });
    t.is(labelled.metadata?.generation, 1, 'a metadata change does not move generation');
    t.true(Number(labelled.metadata?.resourceVersion) > rv1, 'resourceVersion increases with every write');

    const respec = structuredClone(labelled);
    (respec.spec as k8s.V1DeploymentSpec).template.spec?.containers.forEach((container) => {
      container.image = 'api:2';
    });
    const changed = await apps.replaceNamespacedDeployment({
      name: 'meta',
      namespace: 'default',
      body: respec,
    });
    t.is(changed.metadata?.generation, 2, 'a spec change does');
  },
);

test.serial(
  'API Concepts, "Resource versions" / optimistic concurrency: a stale resourceVersion is 409 Conflict',
  async (t) => {
    const created = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('occ') });
    await apps.replaceNamespacedDeployment({
      name: 'occ',
      namespace: 'default',
      body: { ...created, metadata: { ...created.metadata, labels: { app: 'occ', v: '2' } } },
    });
    t.is(
      await codeOf(apps.replaceNamespacedDeployment({ name: 'occ', namespace: 'default', body: created })),
      409,
    );
    t.is(
      await codeOf(apps.createNamespacedDeployment({ namespace: 'default', body: deployment('occ') })),
      409,
      'AlreadyExists',
    );
    t.is(await codeOf(apps.readNamespacedDeployment({ name: 'missing', namespace: 'default' })), 404);
    t.is(
      await codeOf(apps.createNamespacedDeployment({ namespace: 'nowhere', body: deployment('x') })),
      404,
      'namespace must exist',
    );
  },
);

test.serial(
  '"Labels and Selectors", "Field Selectors" and "Retrieving large results sets in chunks"',
  async (t) => {
    await core.createNamespace({ body: { metadata: { name: 'lists' } } });
    for (const [name, tier] of [
      ['a', 'web'],
      ['b', 'web'],
      ['c', 'db'],
      ['d', 'web'],
    ]) {
      await core.createNamespacedConfigMap({
        namespace: 'lists',
        body: { metadata: { name: name as string, labels: { tier: tier as string } } },
      });
    }
    const web = await core.listNamespacedConfigMap({ namespace: 'lists', labelSelector: 'tier=web' });
    t.deepEqual(
      web.items.map((item) => item.metadata?.name),
      ['a', 'b', 'd'],
    );
    const notWeb = await core.listNamespacedConfigMap({
      namespace: 'lists',
      labelSelector: 'tier notin (web)',
    });
    t.deepEqual(
      notWeb.items.map((item) => item.metadata?.name),
      ['c'],
    );
    const byName = await core.listNamespacedConfigMap({
      namespace: 'lists',
      fieldSelector: 'metadata.name=b',
    });
    t.deepEqual(
      byName.items.map((item) => item.metadata?.name),
      ['b'],
    );

    const first = await core.listNamespacedConfigMap({ namespace: 'lists', limit: 3 });
    t.deepEqual(
      first.items.map((item) => item.metadata?.name),
      ['a', 'b', 'c'],
    );
    t.is(first.metadata?.remainingItemCount, 1);
    const second = await core.listNamespacedConfigMap({
      namespace: 'lists',
      limit: 3,
      _continue: first.metadata?._continue,
    });
    t.deepEqual(
      second.items.map((item) => item.metadata?.name),
      ['d'],
    );
    t.is(second.metadata?._continue, undefined);
    t.is(
      await codeOf(core.listNamespacedConfigMap({ namespace: 'lists', labelSelector: 'tier in (web' })),
      400,
    );
  },
);

test.serial(
  '"Finalizers": an object with finalizers is marked for deletion and kept until they are gone',
  async (t) => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'finalized', finalizers: ['example.com/cleanup'] } },
    });
    await core.deleteNamespacedConfigMap({ name: 'finalized', namespace: 'default' });
    const marked = await core.readNamespacedConfigMap({ name: 'finalized', namespace: 'default' });
    t.truthy(marked.metadata?.deletionTimestamp);
    t.is(marked.metadata?.uid, created.metadata?.uid);
    await core.replaceNamespacedConfigMap({
      name: 'finalized',
      namespace: 'default',
      body: { ...marked, metadata: { ...marked.metadata, finalizers: [] } },
    });
    t.is(await codeOf(core.readNamespacedConfigMap({ name: 'finalized', namespace: 'default' })), 404);
  },
);

test.serial(
  '"Subresources: status": the main endpoint ignores status, /status changes only status',
  async (t) => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: { ...deployment('status'), status: { replicas: 9 } },
    });
    t.is(created.status, undefined, "status is not the creator's to set");
    const withStatus = await apps.replaceNamespacedDeploymentStatus({
      name: 'status',
      namespace: 'default',
      body: {
        ...created,
        metadata: { ...created.metadata, labels: { app: 'status', ignored: 'yes' } },
        status: { replicas: 2, readyReplicas: 2 },
      },
    });
    t.is(withStatus.status?.readyReplicas, 2);
    t.is(withStatus.metadata?.labels?.ignored, undefined, '/status changes nothing but status');
    t.is(withStatus.metadata?.generation, 1);
    const main = await apps.replaceNamespacedDeployment({
      name: 'status',
      namespace: 'default',
      body: { ...withStatus, status: { replicas: 0 } },
    });
    t.is(main.status?.readyReplicas, 2, 'the main endpoint keeps the stored status');
  },
);

test.serial(
  '"Efficient detection of changes": watch streams ADDED, MODIFIED and DELETED from a resourceVersion',
  async (t) => {
    await core.createNamespace({ body: { metadata: { name: 'watched' } } });
    const list = await core.listNamespacedConfigMap({ namespace: 'watched' });
    const events: string[] = [];
    const controller = await new k8s.Watch(config).watch(
      '/api/v1/namespaces/watched/configmaps',
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (phase, object: k8s.V1ConfigMap) => {
        if (phase !== 'BOOKMARK') events.push(`${phase} ${object.metadata?.name}`);
      },
      () => {},
    );
    const cm = await core.createNamespacedConfigMap({
      namespace: 'watched',
      body: { metadata: { name: 'w' } },
    });
    await core.replaceNamespacedConfigMap({
      name: 'w',
      namespace: 'watched',
      body: { ...cm, data: { k: 'v' } },
    });
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: 'watched' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    t.deepEqual(events, ['ADDED w', 'MODIFIED w', 'DELETED w']);
  },
);

test.serial(
  '"Efficient detection of changes": a resourceVersion older than the history is 410 Gone, in the stream',
  async (t) => {
    for (let i = 0; i < 60; i++)
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: `churn-${i}` } },
      });
    const errors: unknown[] = [];
    const done = new Promise<void>((resolve) => {
      new k8s.Watch(config).watch(
        '/api/v1/namespaces/default/configmaps',
        { resourceVersion: '1' },
        (phase, object) => {
          if (phase === 'ERROR') errors.push(object);
        },
        () => resolve(),
      );
    });
    await done;
    t.like(errors[0], { kind: 'Status', code: 410, reason: 'Expired' });
  },
);

test.serial('makeInformer keeps a cache in step with the fake', async (t) => {
  await core.createNamespace({ body: { metadata: { name: 'informed' } } });
  const informer = k8s.makeInformer(config, '/api/v1/namespaces/informed/configmaps', () =>
    core.listNamespacedConfigMap({ namespace: 'informed' }),
  );
  const added = new Promise<string>((resolve) =>
    informer.on('add', (object) => resolve(object.metadata?.name ?? '')),
  );
  await informer.start();
  await core.createNamespacedConfigMap({ namespace: 'informed', body: { metadata: { name: 'seen' } } });
  t.is(await added, 'seen');
  t.truthy(informer.get('seen', 'informed'));
  await informer.stop();
});

const objects = () => k8s.KubernetesObjectApi.makeApiClient(config);

/**
 * CRDs go over plain HTTP: client-node's typed model renames JSON-schema keys (`default`,
 * `x-kubernetes-*`) and drops them from a plain object, which says nothing about the server.
 */
async function createCrd(crd: object): Promise<unknown> {
  const response = await fetch(`${fake.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(crd),
  });
  if (response.status !== 201)
    throw new Error(`CRD not created: ${response.status} ${await response.text()}`);
  return response.json();
}

test.serial(
  '"Update API Objects in Place Using kubectl patch": merge, JSON and strategic merge patches',
  async (t) => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('patched') });
    const merged = await apps.patchNamespacedDeployment(
      { name: 'patched', namespace: 'default', body: { metadata: { labels: { extra: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    t.is(merged.metadata?.labels?.extra, 'yes');
    const json = await apps.patchNamespacedDeployment({
      name: 'patched',
      namespace: 'default',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'api:3' }],
    });
    t.is(json.spec?.template.spec?.containers[0]?.image, 'api:3');
    t.is(json.metadata?.generation, 2);
    const strategic = await apps.patchNamespacedDeployment(
      {
        name: 'patched',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'proxy:1' }] } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    t.deepEqual(
      strategic.spec?.template.spec?.containers.map((container) => container.name),
      ['api', 'sidecar'],
      'merged by name',
    );
  },
);

test.serial(
  '"Server-Side Apply": ownership in managedFields, conflicts, force, and removal of fields no longer applied',
  async (t) => {
    const configMap = (data: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: 'default' },
      data,
    });
    const applyAs = (manager: string, body: object, force = false) =>
      objects().patch(body, undefined, undefined, manager, force, k8s.PatchStrategy.ServerSideApply);

    const created = (await applyAs('operator', configMap({ a: '1', b: '2' }))) as k8s.V1ConfigMap;
    t.deepEqual(created.data, { a: '1', b: '2' });
    t.like(created.metadata?.managedFields?.[0], { manager: 'operator', operation: 'Apply' });
    t.deepEqual(created.metadata?.managedFields?.[0]?.fieldsV1, { 'f:data': { 'f:a': {}, 'f:b': {} } });

    const again = (await applyAs('operator', configMap({ a: '1', b: '2' }))) as k8s.V1ConfigMap;
    t.is(
      again.metadata?.resourceVersion,
      created.metadata?.resourceVersion,
      'an unchanged apply writes nothing',
    );

    t.is(
      await codeOf(applyAs('someone-else', configMap({ a: 'other' }))),
      409,
      'a conflicting value without force',
    );
    const forced = (await applyAs('someone-else', configMap({ a: 'other' }), true)) as k8s.V1ConfigMap;
    t.is(forced.data?.a, 'other');

    const dropped = (await applyAs('operator', configMap({ c: '3' }))) as k8s.V1ConfigMap;
    t.deepEqual(
      dropped.data,
      { a: 'other', c: '3' },
      'b is gone: only the operator owned it; a now belongs to the other manager',
    );
  },
);

test.serial(
  '"Extend the Kubernetes API with CustomResourceDefinitions": served at once, validated and defaulted',
  async (t) => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const crd = parse(
      readFileSync(new URL('../../charts/dist/skeletonapp-crd.yaml', import.meta.url), 'utf8'),
    );
    const created = (await createCrd(crd)) as k8s.V1CustomResourceDefinition;
    t.true(
      created.status?.conditions?.some(
        (condition) => condition.type === 'Established' && condition.status === 'True',
      ),
    );
    const custom = config.makeApiClient(k8s.CustomObjectsApi);
    const group = 'platform.skeleton.dev';
    const app = await custom.createNamespacedCustomObject({
      group,
      version: 'v1alpha1',
      namespace: 'default',
      plural: 'skeletonapps',
      body: {
        apiVersion: `${group}/v1alpha1`,
        kind: 'SkeletonApp',
        metadata: { name: 'accounts' },
        spec: {
          image: 'registry.example.com/skeleton-api:1.4.2',
          database: { secretRef: { name: 'db' } },
          unknownField: 1,
        },
      },
    });
    t.deepEqual(app.spec.replicas, { min: 2, max: 10 }, 'defaults from the CRD schema');
    t.false('unknownField' in app.spec, 'unknown fields are pruned');
    const refused = await codeOf(
      custom.createNamespacedCustomObject({
        group,
        version: 'v1alpha1',
        namespace: 'default',
        plural: 'skeletonapps',
        body: {
          apiVersion: `${group}/v1alpha1`,
          kind: 'SkeletonApp',
          metadata: { name: 'bad' },
          spec: { image: 'no-tag' },
        },
      }),
    );
    t.is(refused, 422);
  },
);

test.serial('discovery: monitoring.coreos.com/v1 exists only once its CRD is created', async (t) => {
  const apis = config.makeApiClient(k8s.ApisApi);
  t.false((await apis.getAPIVersions()).groups.some((group) => group.name === 'monitoring.coreos.com'));
  await createCrd({
    metadata: { name: 'servicemonitors.monitoring.coreos.com' },
    spec: {
      group: 'monitoring.coreos.com',
      scope: 'Namespaced',
      names: { kind: 'ServiceMonitor', plural: 'servicemonitors', listKind: 'ServiceMonitorList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  t.true((await apis.getAPIVersions()).groups.some((group) => group.name === 'monitoring.coreos.com'));
  const custom = config.makeApiClient(k8s.CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    group: 'monitoring.coreos.com',
    version: 'v1',
    namespace: 'default',
    plural: 'servicemonitors',
    body: {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'api' },
      spec: { endpoints: [] },
    },
  });
  t.is(
    (
      await custom.listNamespacedCustomObject({
        group: 'monitoring.coreos.com',
        version: 'v1',
        namespace: 'default',
        plural: 'servicemonitors',
      })
    ).items.length,
    1,
  );
});

test.serial(
  '"Garbage Collection": dependents go with their owner (Background), before it (Foreground), or stay (Orphan)',
  async (t) => {
    await core.createNamespace({ body: { metadata: { name: 'gc' } } });
    const owner = async (name: string) =>
      core.createNamespacedConfigMap({ namespace: 'gc', body: { metadata: { name } } });
    const dependent = async (name: string, of: k8s.V1ConfigMap, finalizers?: string[]) =>
      core.createNamespacedSecret({
        namespace: 'gc',
        body: {
          metadata: {
            name,
            finalizers,
            ownerReferences: [
              {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                name: of.metadata?.name as string,
                uid: of.metadata?.uid as string,
                blockOwnerDeletion: true,
              },
            ],
          },
        },
      });
    const exists = async (read: Promise<unknown>) => (await codeOf(read)) === 'ok';
    const secret = (name: string) => core.readNamespacedSecret({ name, namespace: 'gc' });
    const configMap = (name: string) => core.readNamespacedConfigMap({ name, namespace: 'gc' });

    const background = await owner('background');
    await dependent('bg-child', background);
    await core.deleteNamespacedConfigMap({ name: 'background', namespace: 'gc' });
    t.false(await exists(configMap('background')));
    t.false(await exists(secret('bg-child')), 'background: the dependent is collected');

    const foreground = await owner('foreground');
    await dependent('fg-child', foreground, ['example.com/hold']);
    await core.deleteNamespacedConfigMap({
      name: 'foreground',
      namespace: 'gc',
      propagationPolicy: 'Foreground',
    });
    const waiting = await configMap('foreground');
    t.deepEqual(waiting.metadata?.finalizers, ['foregroundDeletion'], 'the owner waits for its dependents');
    const held = await secret('fg-child');
    t.truthy(held.metadata?.deletionTimestamp);
    await core.replaceNamespacedSecret({
      name: 'fg-child',
      namespace: 'gc',
      body: { ...held, metadata: { ...held.metadata, finalizers: [] } },
    });
    t.false(await exists(secret('fg-child')));
    t.false(await exists(configMap('foreground')), 'and goes once they are gone');

    const orphaning = await owner('orphaning');
    await dependent('orphan', orphaning);
    await core.deleteNamespacedConfigMap({ name: 'orphaning', namespace: 'gc', propagationPolicy: 'Orphan' });
    const orphan = await secret('orphan');
    t.deepEqual(orphan.metadata?.ownerReferences ?? [], [], 'orphan: the dependent stays, released');
  },
);
