import * as k8s from '@kubernetes/client-node';
import test, { type ExecutionContext } from 'ava';
import { rawRequest } from './raw-request.js';

/**
 * Where the conformance suite runs: the fake, or a real cluster. The same tests prove that the
 * fake behaves like kube-apiserver: each is named after the documentation section it follows.
 */
export interface ConformanceTarget {
  name: string;
  /** Whether the target is the fake: a few checks rely on its knobs (history size, a clean CRD list). */
  fake: boolean;
  start(): Promise<{ config: k8s.KubeConfig; close(): Promise<void> }>;
}

export function registerConformance(target: ConformanceTarget): void {
  let config: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let close: () => Promise<void> = async () => {};
  // Every object lives in namespaces of this run's own, so a real cluster is left as it was.
  const ns = `conformance-${Date.now().toString(36)}`;
  const named = (suffix: string) => `${ns}-${suffix}`;
  const created: string[] = [];

  test.before(async () => {
    ({ config, close } = await target.start());
    core = config.makeApiClient(k8s.CoreV1Api);
    apps = config.makeApiClient(k8s.AppsV1Api);
    for (const name of [ns, ...['lists', 'watched', 'informed', 'gc', 'events'].map(named)]) {
      await core.createNamespace({ body: { metadata: { name } } });
      created.push(name);
    }
  });

  test.after.always(async () => {
    for (const name of created) await core?.deleteNamespace({ name }).catch(() => undefined);
    await close();
  });

  /** Every check of the suite; one that can run only on the fake says why (`fakeOnly`). */
  const check = (
    title: string,
    run: (t: ExecutionContext) => Promise<void>,
    options: { fakeOnly?: string } = {},
  ) =>
    options.fakeOnly && !target.fake
      ? test.serial.skip(`[${target.name}] ${title} (fake only: ${options.fakeOnly})`, run)
      : test.serial(`[${target.name}] ${title}`, run);

  /** Polls until `condition` holds or 10 s pass: what a real cluster's controllers do comes a moment later. */
  const eventually = async (condition: () => Promise<boolean>) => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await condition().catch(() => false)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  };

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

  check(
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
      // A real cluster may well run the Prometheus operator; the fake starts without it.
      if (target.fake) {
        t.false(
          groups.groups.some((group) => group.name === 'monitoring.coreos.com'),
          'no ServiceMonitor API before its CRD',
        );
      }
      const coreResources = await core.getAPIResources();
      t.true(coreResources.resources.some((resource) => resource.name === 'secrets' && resource.namespaced));
    },
  );

  check(
    'Object metadata ("Names and UIDs", "API conventions: Metadata"): uid, creationTimestamp, resourceVersion, generation',
    async (t) => {
      // A NetworkPolicy: no controller writes to it, so each replace below meets only the test's own
      // writes (a Deployment's status moves under kube-controller-manager on a real cluster).
      const policies = config.makeApiClient(k8s.NetworkingV1Api);
      const created = await policies.createNamespacedNetworkPolicy({
        namespace: ns,
        body: { metadata: { name: 'meta', labels: { app: 'meta' } }, spec: { podSelector: {} } },
      });
      t.regex(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
      t.truthy(created.metadata?.creationTimestamp);
      t.is(created.metadata?.generation, 1);
      const rv1 = Number(created.metadata?.resourceVersion);

      const labelled = await policies.replaceNamespacedNetworkPolicy({
        name: 'meta',
        namespace: ns,
        body: { ...created, metadata: { ...created.metadata, labels: { app: 'meta', extra: 'yes' } } },
      });
      t.is(labelled.metadata?.generation, 1, 'a metadata change does not move generation');
      t.true(Number(labelled.metadata?.resourceVersion) > rv1, 'resourceVersion increases with every write');

      const changed = await policies.replaceNamespacedNetworkPolicy({
        name: 'meta',
        namespace: ns,
        body: { ...labelled, spec: { podSelector: { matchLabels: { app: 'api' } } } },
      });
      t.is(changed.metadata?.generation, 2, 'a spec change does');

      // Kinds without a desired state of their own carry no generation at all.
      const configMap = await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'meta' }, data: { a: '1' } },
      });
      t.is(configMap.metadata?.generation, undefined, 'a ConfigMap has no generation');
      const secret = await core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: 'meta' }, stringData: { a: '1' } },
      });
      t.is(secret.metadata?.generation, undefined, 'a Secret has no generation');
    },
  );

  check(
    'API Concepts, "Resource versions" / optimistic concurrency: a stale resourceVersion is 409 Conflict',
    async (t) => {
      // A NetworkPolicy, which no controller writes to, so the only newer version is the test's.
      const policies = config.makeApiClient(k8s.NetworkingV1Api);
      const policy = { metadata: { name: 'occ', labels: { app: 'occ' } }, spec: { podSelector: {} } };
      const created = await policies.createNamespacedNetworkPolicy({ namespace: ns, body: policy });
      await policies.replaceNamespacedNetworkPolicy({
        name: 'occ',
        namespace: ns,
        body: { ...created, metadata: { ...created.metadata, labels: { app: 'occ', v: '2' } } },
      });
      t.is(
        await codeOf(policies.replaceNamespacedNetworkPolicy({ name: 'occ', namespace: ns, body: created })),
        409,
      );
      t.is(
        await codeOf(policies.createNamespacedNetworkPolicy({ namespace: ns, body: policy })),
        409,
        'AlreadyExists',
      );
      t.is(await codeOf(apps.readNamespacedDeployment({ name: 'missing', namespace: ns })), 404);
      t.is(
        await codeOf(apps.createNamespacedDeployment({ namespace: 'nowhere', body: deployment('x') })),
        404,
        'namespace must exist',
      );
    },
  );

  check(
    '"Labels and Selectors", "Field Selectors" and "Retrieving large results sets in chunks"',
    async (t) => {
      for (const [name, tier] of [
        ['a', 'web'],
        ['b', 'web'],
        ['c', 'db'],
        ['d', 'web'],
      ]) {
        await core.createNamespacedConfigMap({
          namespace: named('lists'),
          body: { metadata: { name: name as string, labels: { tier: tier as string } } },
        });
      }
      const web = await core.listNamespacedConfigMap({
        namespace: named('lists'),
        labelSelector: 'tier=web',
      });
      t.deepEqual(
        web.items.map((item) => item.metadata?.name),
        ['a', 'b', 'd'],
      );
      // Every namespace of a real cluster also holds kube-root-ca.crt, which kube-controller-manager
      // publishes (the fake runs no such controller): the lists below select the test's own objects.
      const notWeb = await core.listNamespacedConfigMap({
        namespace: named('lists'),
        labelSelector: 'tier,tier notin (web)',
      });
      t.deepEqual(
        notWeb.items.map((item) => item.metadata?.name),
        ['c'],
      );
      const byName = await core.listNamespacedConfigMap({
        namespace: named('lists'),
        fieldSelector: 'metadata.name=b',
      });
      t.deepEqual(
        byName.items.map((item) => item.metadata?.name),
        ['b'],
      );

      const first = await core.listNamespacedConfigMap({
        namespace: named('lists'),
        labelSelector: 'tier',
        limit: 3,
      });
      t.deepEqual(
        first.items.map((item) => item.metadata?.name),
        ['a', 'b', 'c'],
      );
      t.is(first.metadata?.remainingItemCount, undefined, 'not counted for a filtered list');
      t.truthy(first.metadata?._continue);
      const second = await core.listNamespacedConfigMap({
        namespace: named('lists'),
        labelSelector: 'tier',
        limit: 3,
        _continue: first.metadata?._continue,
      });
      t.deepEqual(
        second.items.map((item) => item.metadata?.name),
        ['d'],
      );
      t.is(second.metadata?._continue, undefined);
      t.is(
        await codeOf(
          core.listNamespacedConfigMap({ namespace: named('lists'), labelSelector: 'tier in (web' }),
        ),
        400,
      );
    },
  );

  check(
    '"Finalizers": an object with finalizers is marked for deletion and kept until they are gone',
    async (t) => {
      const created = await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'finalized', finalizers: ['example.com/cleanup'] } },
      });
      await core.deleteNamespacedConfigMap({ name: 'finalized', namespace: ns });
      const marked = await core.readNamespacedConfigMap({ name: 'finalized', namespace: ns });
      t.truthy(marked.metadata?.deletionTimestamp);
      t.is(marked.metadata?.uid, created.metadata?.uid);
      await core.replaceNamespacedConfigMap({
        name: 'finalized',
        namespace: ns,
        body: { ...marked, metadata: { ...marked.metadata, finalizers: [] } },
      });
      t.is(await codeOf(core.readNamespacedConfigMap({ name: 'finalized', namespace: ns })), 404);
    },
  );

  check(
    '"Subresources: status": the main endpoint ignores status, /status leaves the spec alone',
    async (t) => {
      const deployed = await apps.createNamespacedDeployment({
        namespace: ns,
        body: { ...deployment('status'), status: { replicas: 9 } },
      });
      t.deepEqual({ ...deployed.status }, {}, "a created Deployment's status is reset to empty");

      // An Ingress: it has a status subresource and, with no ingress controller, nobody else writes it.
      const ingresses = config.makeApiClient(k8s.NetworkingV1Api);
      const lb = (ip: string) => ({ loadBalancer: { ingress: [{ ip }] } });
      const created = await ingresses.createNamespacedIngress({
        namespace: ns,
        body: {
          metadata: { name: 'status', labels: { app: 'status' } },
          spec: { defaultBackend: { service: { name: 'api', port: { number: 80 } } } },
          status: lb('192.0.2.9'),
        },
      });
      t.is(created.status?.loadBalancer?.ingress, undefined, "status is not the creator's to set");
      const withStatus = await ingresses.replaceNamespacedIngressStatus({
        name: 'status',
        namespace: ns,
        body: {
          ...created,
          spec: { defaultBackend: { service: { name: 'ignored', port: { number: 80 } } } },
          status: lb('192.0.2.1'),
        },
      });
      t.is(withStatus.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.1');
      t.is(withStatus.spec?.defaultBackend?.service?.name, 'api', '/status leaves the spec alone');
      t.is(withStatus.metadata?.generation, 1);
      const main = await ingresses.replaceNamespacedIngress({
        name: 'status',
        namespace: ns,
        body: { ...withStatus, status: lb('192.0.2.2') },
      });
      t.is(
        main.status?.loadBalancer?.ingress?.[0]?.ip,
        '192.0.2.1',
        'the main endpoint keeps the stored status',
      );
    },
  );

  check(
    '"Efficient detection of changes": watch streams ADDED, MODIFIED and DELETED from a resourceVersion',
    async (t) => {
      const list = await core.listNamespacedConfigMap({ namespace: named('watched') });
      const events: string[] = [];
      const controller = await new k8s.Watch(config).watch(
        `/api/v1/namespaces/${named('watched')}/configmaps`,
        { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
        (phase, object: k8s.V1ConfigMap) => {
          if (phase !== 'BOOKMARK') events.push(`${phase} ${object.metadata?.name}`);
        },
        () => {},
      );
      const cm = await core.createNamespacedConfigMap({
        namespace: named('watched'),
        body: { metadata: { name: 'w' } },
      });
      await core.replaceNamespacedConfigMap({
        name: 'w',
        namespace: named('watched'),
        body: { ...cm, data: { k: 'v' } },
      });
      await core.deleteNamespacedConfigMap({ name: 'w', namespace: named('watched') });
      await new Promise((resolve) => setTimeout(resolve, 200));
      controller.abort();
      t.deepEqual(events, ['ADDED w', 'MODIFIED w', 'DELETED w']);
    },
  );

  check(
    '"Efficient detection of changes": a watch from a resourceVersion the history no longer holds ends with ERROR 410 Expired',
    async (t) => {
      for (let i = 0; i < 60; i++) {
        await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `churn-${i}` } } });
      }
      // Not an HTTP 410: the watch is answered 200 and its stream carries one ERROR event and ends.
      // kube-apiserver may instead replay the history from there while etcd has not compacted it
      // yet; such a stream stays open, so it is read for a while and then let go.
      const events: { type: string; object: { kind?: string; code?: number; reason?: string } }[] = [];
      let failed: unknown;
      await new Promise<void>((resolve) => {
        let controller: AbortController | undefined;
        const timer = setTimeout(() => {
          controller?.abort();
          resolve();
        }, 3_000);
        void new k8s.Watch(config)
          .watch(
            `/api/v1/namespaces/${ns}/configmaps`,
            { resourceVersion: '1' },
            (type, object) => events.push({ type, object }),
            (error) => {
              failed = error;
              clearTimeout(timer);
              resolve();
            },
          )
          .then((started) => {
            controller = started;
          });
      });
      t.falsy(failed instanceof Error && /410|Gone/.test(failed.message) ? failed : undefined, 'no HTTP 410');
      const [first] = events;
      if (first?.type === 'ERROR') {
        t.is(events.length, 1, 'the error ends the stream');
        t.like(first.object, { kind: 'Status', code: 410, reason: 'Expired' });
      } else {
        t.false(target.fake, 'only kube-apiserver replays uncompacted history');
        t.true(
          events.length > 0 && events.every(({ type }) => ['ADDED', 'MODIFIED', 'DELETED'].includes(type)),
        );
        t.log(`kube-apiserver replayed ${events.length} events: that history was not compacted yet`);
      }
    },
  );

  check('makeInformer keeps a cache in step with the server', async (t) => {
    const informer = k8s.makeInformer(config, `/api/v1/namespaces/${named('informed')}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace: named('informed') }),
    );
    // kube-root-ca.crt arrives too on a real cluster; the test waits for its own object.
    const added = new Promise<string>((resolve) =>
      informer.on('add', (object) => {
        if (object.metadata?.name === 'seen') resolve(object.metadata.name);
      }),
    );
    await informer.start();
    await core.createNamespacedConfigMap({
      namespace: named('informed'),
      body: { metadata: { name: 'seen' } },
    });
    t.is(await added, 'seen');
    t.truthy(informer.get('seen', named('informed')));
    await informer.stop();
  });

  const objects = () => k8s.KubernetesObjectApi.makeApiClient(config);

  /**
   * CRDs go over plain HTTP: client-node's typed model renames JSON-schema keys (`default`,
   * `x-kubernetes-*`) and silently drops them from a plain object, which says nothing about the server.
   */
  async function createCrd(crd: object): Promise<unknown> {
    const { status, body } = await rawRequest(
      config,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      crd,
    );
    // A shared control plane may hold it already (the operator suites install the same CRD).
    if (status === 409) {
      const name = (crd as { metadata: { name: string } }).metadata.name;
      return (
        await rawRequest(config, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)
      ).body;
    }
    if (status !== 201) throw new Error(`CRD not created: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  check(
    '"Update API Objects in Place Using kubectl patch": merge, JSON and strategic merge patches',
    async (t) => {
      await apps.createNamespacedDeployment({ namespace: ns, body: deployment('patched') });
      const merged = await apps.patchNamespacedDeployment(
        { name: 'patched', namespace: ns, body: { metadata: { labels: { extra: 'yes' } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      t.is(merged.metadata?.labels?.extra, 'yes');
      const json = await apps.patchNamespacedDeployment({
        name: 'patched',
        namespace: ns,
        body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'api:3' }],
      });
      t.is(json.spec?.template.spec?.containers[0]?.image, 'api:3');
      t.is(json.metadata?.generation, 2);
      const strategic = await apps.patchNamespacedDeployment(
        {
          name: 'patched',
          namespace: ns,
          body: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'proxy:1' }] } } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      );
      t.deepEqual(
        strategic.spec?.template.spec?.containers.map((container) => container.name),
        ['sidecar', 'api'],
        'merged by name; an item new to the list goes before the ones the patch left out',
      );
    },
  );

  check(
    '"Server-Side Apply": ownership in managedFields, conflicts, force, and removal of fields no longer applied',
    async (t) => {
      const configMap = (data: Record<string, string>) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'applied', namespace: ns },
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

  check(
    '"Extend the Kubernetes API with CustomResourceDefinitions": served at once, validated and defaulted',
    async (t) => {
      const { readFileSync } = await import('node:fs');
      const { parse } = await import('yaml');
      const crd = parse(
        readFileSync(new URL('../../../charts/dist/skeletonapp-crd.yaml', import.meta.url), 'utf8'),
      );
      await createCrd(crd);
      const established = async () => {
        const { body } = await rawRequest(
          config,
          'GET',
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
        );
        return ((body as k8s.V1CustomResourceDefinition).status?.conditions ?? []).some(
          (condition) => condition.type === 'Established' && condition.status === 'True',
        );
      };
      // The fake establishes a CRD as it stores it; kube-apiserver within a moment.
      t.true(await eventually(established), 'Established');
      const custom = config.makeApiClient(k8s.CustomObjectsApi);
      const group = 'platform.skeleton.dev';
      const createApp = (name: string, spec: object) =>
        custom.createNamespacedCustomObject({
          group,
          version: 'v1alpha1',
          namespace: ns,
          plural: 'skeletonapps',
          body: { apiVersion: `${group}/v1alpha1`, kind: 'SkeletonApp', metadata: { name }, spec },
        });
      const app = await createApp('accounts', {
        image: 'registry.example.com/skeleton-api:1.4.2',
        database: { secretRef: { name: 'db' } },
        unknownField: 1,
      });
      t.deepEqual(app.spec.replicas, { min: 2, max: 10 }, 'defaults from the CRD schema');
      t.false('unknownField' in app.spec, 'unknown fields are pruned');
      const refused = await codeOf(createApp('bad', { image: 'no-tag' }));
      t.is(refused, 422);

      // "Validation" messages, as kubectl shows them: each cause's reason, field and wording.
      const causesOf = async (name: string, spec: object) => {
        const { status, body } = await rawRequest(
          config,
          'POST',
          `/apis/${group}/v1alpha1/namespaces/${ns}/skeletonapps`,
          { apiVersion: `${group}/v1alpha1`, kind: 'SkeletonApp', metadata: { name }, spec },
        );
        t.is(status, 422);
        return (body as k8s.V1Status).details?.causes ?? [];
      };
      const database = { secretRef: { name: 'db' } };
      t.deepEqual(await causesOf('too-long', { image: `r/${'a'.repeat(600)}:1`, database }), [
        {
          reason: 'FieldValueTooLong',
          message: 'Too long: may not be more than 512 bytes',
          field: 'spec.image',
        },
        {
          // A schema error that blocks the CRD's CEL rules adds this cause, with no field.
          reason: 'FieldValueInvalid',
          field: '<nil>',
          message:
            'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
        },
      ]);
      t.deepEqual(await causesOf('no-command', { image: 'r/a:1', database, migrations: { command: [] } }), [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0: spec.migrations.command in body should have at least 1 items',
          field: 'spec.migrations.command',
        },
      ]);
      // "Validation rules": the CRD's CEL rules, each failure on its own field (in no fixed order).
      const failedRules = await causesOf('rules', {
        image: 'r/a:1',
        database,
        replicas: { min: 5, max: 3 },
        config: { 'bad-key': 'x' },
        jwt: { accessTokenTTL: '15m', previousKeyRetention: '5m' },
      });
      t.deepEqual(failedRules.map(({ field, reason, message }) => `${field} ${reason} ${message}`).sort(), [
        'spec.config FieldValueInvalid Invalid value: config keys must be environment variable names of at most 128 characters',
        'spec.jwt FieldValueInvalid Invalid value: jwt.previousKeyRetention must be at least jwt.accessTokenTTL, or rotation would reject live tokens',
        'spec.replicas FieldValueInvalid Invalid value: replicas.min must not exceed replicas.max',
      ]);
    },
  );

  check(
    'discovery: monitoring.coreos.com/v1 exists only once its CRD is created',
    async (t) => {
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
        namespace: ns,
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
            namespace: ns,
            plural: 'servicemonitors',
          })
        ).items.length,
        1,
      );
    },
    {
      fakeOnly:
        'creating the ServiceMonitor CRD changes what every operator suite sharing the control plane sees',
    },
  );

  check(
    '"Garbage Collection": dependents go with their owner (Background), before it (Foreground), or stay (Orphan)',
    async (t) => {
      const owner = async (name: string) =>
        core.createNamespacedConfigMap({ namespace: named('gc'), body: { metadata: { name } } });
      const dependent = async (name: string, of: k8s.V1ConfigMap, finalizers?: string[]) =>
        core.createNamespacedSecret({
          namespace: named('gc'),
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
      const secret = (name: string) => core.readNamespacedSecret({ name, namespace: named('gc') });
      const configMap = (name: string) => core.readNamespacedConfigMap({ name, namespace: named('gc') });

      const background = await owner('background');
      await dependent('bg-child', background);
      await core.deleteNamespacedConfigMap({ name: 'background', namespace: named('gc') });
      // kube-controller-manager's garbage collector works from watch events, a moment later; the fake
      // collects at once. Each outcome is therefore awaited, not read once.
      t.false(await exists(configMap('background')));
      t.true(
        await eventually(async () => !(await exists(secret('bg-child')))),
        'background: the dependent is collected',
      );

      const foreground = await owner('foreground');
      await dependent('fg-child', foreground, ['example.com/hold']);
      await core.deleteNamespacedConfigMap({
        name: 'foreground',
        namespace: named('gc'),
        propagationPolicy: 'Foreground',
      });
      const waiting = await configMap('foreground');
      t.deepEqual(waiting.metadata?.finalizers, ['foregroundDeletion'], 'the owner waits for its dependents');
      t.true(
        await eventually(async () => (await secret('fg-child')).metadata?.deletionTimestamp !== undefined),
        'the dependent is being deleted',
      );
      const held = await secret('fg-child');
      await core.replaceNamespacedSecret({
        name: 'fg-child',
        namespace: named('gc'),
        body: { ...held, metadata: { ...held.metadata, finalizers: [] } },
      });
      t.false(await exists(secret('fg-child')));
      t.true(
        await eventually(async () => !(await exists(configMap('foreground')))),
        'and goes once they are gone',
      );

      const orphaning = await owner('orphaning');
      await dependent('orphan', orphaning);
      await core.deleteNamespacedConfigMap({
        name: 'orphaning',
        namespace: named('gc'),
        propagationPolicy: 'Orphan',
      });
      t.true(
        await eventually(async () => ((await secret('orphan')).metadata?.ownerReferences ?? []).length === 0),
        'orphan: the dependent stays, released',
      );
      // The collector releases the dependents first and only then lifts the owner's orphan finalizer.
      t.true(
        await eventually(async () => !(await exists(configMap('orphaning')))),
        'and the owner goes once they are released',
      );
    },
  );

  check(
    'KubernetesObjectApi: create, read, list, patch and delete any kind by its apiVersion and kind',
    async (t) => {
      const objects = k8s.KubernetesObjectApi.makeApiClient(config);
      const body = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'generic', namespace: ns },
        data: { a: '1' },
      };
      await objects.create(body);
      const read = (await objects.read({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'generic', namespace: ns },
      })) as k8s.V1ConfigMap;
      t.deepEqual(read.data, { a: '1' });
      const listed = await objects.list('v1', 'ConfigMap', ns);
      t.true(listed.items.some((item) => item.metadata?.name === 'generic'));
      const patched = (await objects.patch(
        { ...body, data: { a: '2' } },
        undefined,
        undefined,
        'conformance',
        true,
        k8s.PatchStrategy.ServerSideApply,
      )) as k8s.V1ConfigMap;
      t.deepEqual(patched.data, { a: '2' });
      await objects.delete(body);
      t.is(await codeOf(objects.read(body)), 404);
    },
  );

  // Events: one stored resource served as core v1 and events.k8s.io/v1 (pkg/apis/events/v1/conversion.go;
  // the "Deprecated API Migration Guide" lists the renames). Bodies are sent raw, as a client writes them.
  const eventsNs = named('events');
  const eventsAt = {
    core: `/api/v1/namespaces/${eventsNs}/events`,
    events: `/apis/events.k8s.io/v1/namespaces/${eventsNs}/events`,
  };
  const eventsApi = () => config.makeApiClient(k8s.EventsV1Api);
  const about = (name: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name,
    namespace: eventsNs,
    uid: `uid-of-${name}`,
  });
  /** A new-style Event: what events.k8s.io/v1 requires on create. */
  const newStyleEvent = (name: string, subject: string) => ({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name },
    eventTime: '2024-01-02T03:04:05.000000Z',
    reportingController: 'example.com/conformance',
    reportingInstance: 'conformance-1',
    action: 'Check',
    reason: 'Checked',
    type: 'Normal',
    note: `about ${subject}`,
    regarding: about(subject),
  });
  /** An old-style core Event, as kubelet still writes them: source, timestamps and a count. */
  const oldStyleEvent = (name: string, subject: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name },
    involvedObject: about(subject),
    reason: 'Pulled',
    message: `about ${subject}`,
    type: 'Warning',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2024-01-02T03:04:05Z',
    lastTimestamp: '2024-01-02T03:05:05Z',
    count: 3,
  });
  const createEvent = async (path: string, body: object) => {
    const { status, body: created } = await rawRequest(config, 'POST', path, body);
    if (status !== 201) throw new Error(`Event not created: ${status} ${JSON.stringify(created)}`);
    return created as { metadata: { uid: string; resourceVersion: string } };
  };
  const readEvent = async (path: string, name: string) =>
    (await rawRequest(config, 'GET', `${path}/${name}`)).body;
  type WatchedEvent = {
    apiVersion: string;
    metadata: { name: string };
    involvedObject?: { name: string };
    regarding?: { name: string };
  };
  const sortedNames = (list: { items: Array<{ metadata?: { name?: string } }> }) =>
    list.items.map((item) => item.metadata?.name).sort();

  check(
    '"Deprecated API Migration Guide" (Event): an events.k8s.io/v1 Event is a core v1 Event, its fields renamed',
    async (t) => {
      const body = { ...newStyleEvent('made-new', 'a'), related: about('a-related') };
      const created = await createEvent(eventsAt.events, body);
      const read = (await readEvent(eventsAt.core, 'made-new')) as Record<string, unknown>;
      t.like(read, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion },
        involvedObject: about('a'),
        related: about('a-related'),
        message: 'about a',
        reportingComponent: 'example.com/conformance',
        reportingInstance: 'conformance-1',
        eventTime: '2024-01-02T03:04:05.000000Z',
        action: 'Check',
        reason: 'Checked',
        type: 'Normal',
      });
      for (const field of ['regarding', 'note', 'reportingController'])
        t.false(field in read, `no ${field} in core v1`);
      t.is(
        (await rawRequest(config, 'POST', eventsAt.core, oldStyleEvent('made-new', 'a'))).status,
        409,
        'one name, one object: AlreadyExists through the other group',
      );
    },
  );

  check(
    '"Deprecated API Migration Guide" (Event): a core v1 Event reads through events.k8s.io/v1 with deprecated* fields',
    async (t) => {
      const created = await createEvent(eventsAt.core, oldStyleEvent('made-old', 'b'));
      const read = (await readEvent(eventsAt.events, 'made-old')) as Record<string, unknown>;
      t.like(read, {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { uid: created.metadata.uid },
        regarding: about('b'),
        note: 'about b',
        reason: 'Pulled',
        type: 'Warning',
        deprecatedSource: { component: 'kubelet', host: 'node-1' },
        deprecatedFirstTimestamp: '2024-01-02T03:04:05Z',
        deprecatedLastTimestamp: '2024-01-02T03:05:05Z',
        deprecatedCount: 3,
      });
      for (const field of ['involvedObject', 'message', 'source', 'firstTimestamp', 'count'])
        t.false(field in read, `no ${field} in events.k8s.io/v1`);
    },
  );

  check(
    '"Deprecated API Migration Guide" (Event): a write through either group is seen through the other, and so is a delete',
    async (t) => {
      await createEvent(eventsAt.events, newStyleEvent('updated', 'c'));
      const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
      // events.k8s.io/v1 lets a recorder change only the series of an Event it created.
      await eventsApi().patchNamespacedEvent(
        {
          name: 'updated',
          namespace: eventsNs,
          body: { series: { count: 2, lastObservedTime: '2024-01-02T03:06:05.000000Z' } },
        },
        mergePatch,
      );
      t.like(await readEvent(eventsAt.core, 'updated'), {
        series: { count: 2, lastObservedTime: '2024-01-02T03:06:05.000000Z' },
      });
      await core.patchNamespacedEvent(
        { name: 'updated', namespace: eventsNs, body: { message: 'changed through v1' } },
        mergePatch,
      );
      t.like(await readEvent(eventsAt.events, 'updated'), { note: 'changed through v1' });
      await core.deleteNamespacedEvent({ name: 'updated', namespace: eventsNs });
      t.is(await codeOf(eventsApi().readNamespacedEvent({ name: 'updated', namespace: eventsNs })), 404);
    },
  );

  check(
    '"Field Selectors" (Event): core v1 selects by involvedObject.*, reason, reportingComponent, source and type',
    async (t) => {
      await createEvent(eventsAt.events, newStyleEvent('selected-new', 'e'));
      await createEvent(eventsAt.core, oldStyleEvent('selected-old', 'e'));
      await createEvent(eventsAt.core, oldStyleEvent('unrelated', 'elsewhere'));
      const select = async (fieldSelector: string) =>
        sortedNames(await core.listNamespacedEvent({ namespace: eventsNs, fieldSelector }));
      // What `kubectl describe` asks for.
      t.deepEqual(
        await select(
          `involvedObject.name=e,involvedObject.namespace=${eventsNs},involvedObject.kind=ConfigMap,involvedObject.uid=uid-of-e`,
        ),
        ['selected-new', 'selected-old'],
      );
      t.deepEqual(
        await select(
          'involvedObject.name=e,involvedObject.apiVersion=v1,involvedObject.fieldPath=,involvedObject.resourceVersion=',
        ),
        ['selected-new', 'selected-old'],
      );
      t.deepEqual(await select('involvedObject.name=e,type=Warning'), ['selected-old']);
      t.deepEqual(await select('involvedObject.name=e,reason=Checked'), ['selected-new']);
      t.deepEqual(await select('involvedObject.name=e,reportingComponent=example.com/conformance'), [
        'selected-new',
      ]);
      t.deepEqual(await select('involvedObject.name=e,source=kubelet'), ['selected-old']);
      t.deepEqual(
        await select('involvedObject.name=e,source=example.com/conformance'),
        ['selected-new'],
        'source falls back to reportingComponent',
      );
      t.deepEqual(await select('metadata.name=selected-old'), ['selected-old']);
      t.is(await codeOf(select('message=about e')), 400, 'field label not supported');
    },
  );

  check(
    '"Field Selectors" (Event): events.k8s.io/v1 selects by regarding.*, reportingController, reason and type',
    async (t) => {
      await createEvent(eventsAt.events, newStyleEvent('regarding-new', 'f'));
      await createEvent(eventsAt.core, oldStyleEvent('regarding-old', 'f'));
      const select = async (fieldSelector: string) =>
        sortedNames(await eventsApi().listNamespacedEvent({ namespace: eventsNs, fieldSelector }));
      t.deepEqual(
        await select(
          `regarding.name=f,regarding.namespace=${eventsNs},regarding.kind=ConfigMap,regarding.uid=uid-of-f,regarding.apiVersion=v1`,
        ),
        ['regarding-new', 'regarding-old'],
      );
      t.deepEqual(await select('regarding.name=f,reportingController=example.com/conformance'), [
        'regarding-new',
      ]);
      t.deepEqual(await select('regarding.name=f,type=Warning,reason=Pulled'), ['regarding-old']);
      for (const unsupported of ['involvedObject.name=f', 'reportingComponent=x', 'source=kubelet', 'note=x'])
        t.is(await codeOf(select(unsupported)), 400, unsupported);
    },
  );

  check(
    '"Efficient detection of changes" (Event): a watch through one group sees the writes through the other',
    async (t) => {
      const list = await core.listNamespacedEvent({ namespace: eventsNs });
      const seen: string[] = [];
      const watchThrough = (path: string, fieldSelector: string) =>
        new k8s.Watch(config).watch(
          path,
          { resourceVersion: list.metadata?.resourceVersion, fieldSelector },
          (phase, object: WatchedEvent) => {
            const subject = object.involvedObject
              ? `involvedObject=${object.involvedObject.name}`
              : `regarding=${object.regarding?.name}`;
            seen.push(`${object.apiVersion} ${phase} ${object.metadata.name} ${subject}`);
          },
          () => {},
        );
      const watches = [
        await watchThrough(eventsAt.core, 'involvedObject.name=w'),
        await watchThrough(eventsAt.events, 'regarding.name=w'),
      ];
      await createEvent(eventsAt.events, newStyleEvent('watched-new', 'w'));
      await createEvent(eventsAt.core, oldStyleEvent('watched-old', 'w'));
      await createEvent(eventsAt.events, newStyleEvent('not-watched', 'elsewhere'));
      await eventsApi().deleteNamespacedEvent({ name: 'watched-new', namespace: eventsNs });
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const watch of watches) watch.abort();
      t.deepEqual(seen.sort(), [
        'events.k8s.io/v1 ADDED watched-new regarding=w',
        'events.k8s.io/v1 ADDED watched-old regarding=w',
        'events.k8s.io/v1 DELETED watched-new regarding=w',
        'v1 ADDED watched-new involvedObject=w',
        'v1 ADDED watched-old involvedObject=w',
        'v1 DELETED watched-new involvedObject=w',
      ]);
    },
  );

  check(
    '"Jobs", "Job termination and cleanup": a finished Job\'s status must carry what the Job controller writes',
    async (t) => {
      // Suspended, so the Job controller starts no pod; the writes below are the test's alone.
      const batch = config.makeApiClient(k8s.BatchV1Api);
      await batch.createNamespacedJob({
        namespace: ns,
        body: {
          metadata: { name: 'finished' },
          spec: {
            suspend: true,
            template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'migrate:1' }] } },
          },
        },
      });
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const condition = (type: string) => ({
        type,
        status: 'True',
        lastTransitionTime: now,
        lastProbeTime: now,
      });
      const causesOf = async (status: object) => {
        const { status: code, body } = await rawRequest(
          config,
          'PATCH',
          `/apis/batch/v1/namespaces/${ns}/jobs/finished/status`,
          { status },
          'application/merge-patch+json',
        );
        t.is(code, 422);
        return ((body as k8s.V1Status).details?.causes ?? []).map(
          ({ field, message }) => `${field}: ${message}`,
        );
      };
      t.deepEqual(await causesOf({ active: 1, conditions: [condition('Complete')] }), [
        'status.completionTime: Required value: completionTime is required for Complete jobs',
        'status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition',
        'status.active: Invalid value: 1: active>0 is invalid for finished job',
        'status.startTime: Required value: startTime is required for finished job',
      ]);
      t.deepEqual(await causesOf({ startTime: now, conditions: [condition('Failed')] }), [
        'status.conditions: Invalid value: cannot set Failed=True condition without the FailureTarget=true condition',
      ]);
    },
  );

  check('"Finalizers": an emptied finalizer list or label map is stored as absent', async (t) => {
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'emptied', finalizers: ['example.com/hold'], labels: { a: 'b' } } },
    });
    const { status, body } = await rawRequest(
      config,
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/emptied`,
      { metadata: { finalizers: [], labels: null } },
      'application/merge-patch+json',
    );
    t.is(status, 200);
    const metadata = (body as k8s.V1ConfigMap).metadata ?? {};
    t.false('finalizers' in metadata, JSON.stringify(metadata.finalizers));
    t.false('labels' in metadata, JSON.stringify(metadata.labels));
    await core.deleteNamespacedConfigMap({ name: 'emptied', namespace: ns });
  });

  check(
    '"Jobs": a Job\'s pod template is immutable; the same template applied again is accepted',
    async (t) => {
      const batch = config.makeApiClient(k8s.BatchV1Api);
      const job = (memory: string): k8s.V1Job => ({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'immutable', namespace: ns },
        spec: {
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'c', image: 'migrate:1', resources: { limits: { memory } } }],
            },
          },
        },
      });
      const apply = (body: k8s.V1Job) =>
        rawRequest(
          config,
          'PATCH',
          `/apis/batch/v1/namespaces/${ns}/jobs/immutable?fieldManager=conformance&force=true`,
          body,
          'application/apply-patch+yaml',
        );
      t.is((await apply(job('256Mi'))).status, 201);
      t.is((await apply(job('256Mi'))).status, 200);
      const { status, body } = await apply(job('512Mi'));
      t.is(status, 422);
      const causes = (body as k8s.V1Status).details?.causes ?? [];
      t.deepEqual(
        causes.map(({ field, reason }) => `${field} ${reason}`),
        ['spec.template FieldValueInvalid'],
      );
      t.regex(causes[0]?.message ?? '', /field is immutable$/);
      t.regex(
        (body as k8s.V1Status).message ?? '',
        /^Job\.batch "immutable" is invalid: spec\.template: Invalid value: /,
      );
      await batch.deleteNamespacedJob({ name: 'immutable', namespace: ns, propagationPolicy: 'Background' });
    },
  );

  check(
    '"Retrieving large results sets in chunks": a continue token the server never issued is 400',
    async (t) => {
      const { status, body } = await rawRequest(
        config,
        'GET',
        `/api/v1/namespaces/${ns}/configmaps?limit=1&continue=not-a-token`,
      );
      t.is(status, 400);
      t.like(body as object, { kind: 'Status', code: 400, reason: 'BadRequest' });
    },
  );

  check(
    '"Watch bookmarks": a watch that allows them receives BOOKMARK events carrying a resourceVersion',
    async (t) => {
      const bookmarks: string[] = [];
      const controller = await new k8s.Watch(config).watch(
        `/api/v1/namespaces/${ns}/configmaps`,
        {
          allowWatchBookmarks: true,
          resourceVersion: (await core.listNamespacedConfigMap({ namespace: ns })).metadata?.resourceVersion,
        },
        (phase, object: k8s.V1ConfigMap) => {
          if (phase === 'BOOKMARK') bookmarks.push(object.metadata?.resourceVersion ?? '');
        },
        () => {},
      );
      // The fake sends one every 100 ms here; kube-apiserver about once a minute.
      await new Promise((resolve) => setTimeout(resolve, 350));
      controller.abort();
      t.true(bookmarks.length >= 2);
      t.true(bookmarks.every((resourceVersion) => /^[0-9]+$/.test(resourceVersion)));
    },
    { fakeOnly: 'kube-apiserver sends a bookmark about once a minute; the fake, every 100 ms here' },
  );
}
