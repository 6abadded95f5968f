import { isDeepStrictEqual } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import test from 'ava';
import { APPLIED_HASH_ANNOTATION } from '../src/reconcile/desired-state.js';
import { LEGACY_FINALIZER } from '../src/reconcile/reconciler.js';
import { onEachBackend } from './support/each-backend.js';
import {
  clusterWithOperator,
  conditionOf,
  exampleApp,
  isReady,
  SERVICE_MONITOR_CRD,
  startCluster,
  startOperator,
  until,
} from './support/operator-harness.js';
import { rawRequest } from './support/raw-request.js';

/**
 * The operator's lifecycle, each behaviour on both backends: the real control plane (its Deployment,
 * ReplicaSet, Job, HPA and garbage-collector controllers, kwok's pods) and the fake with its simulated
 * controllers, over real HTTP.
 */

const EXPECTED_CHILDREN = [
  'ConfigMap/accounts-config',
  'Deployment/accounts',
  'HorizontalPodAutoscaler/accounts',
  'NetworkPolicy/accounts',
  'NetworkPolicy/accounts-migration',
  'PodDisruptionBudget/accounts',
  'Service/accounts',
  'ServiceAccount/accounts',
];

onEachBackend(
  'applying a SkeletonApp creates its children with owner references and becomes Ready',
  async (t, backend) => {
    const { cluster, namespace } = await clusterWithOperator(t, {}, backend);

    await cluster.createApp(exampleApp('accounts', namespace, { config: { LOG_LEVEL: 'info' } }));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))), 'Ready');

    const children = await cluster.childrenOf(namespace, 'accounts');
    for (const child of EXPECTED_CHILDREN) t.true(children.includes(child), child);
    t.true(
      children.some((child) => child.startsWith('Job/accounts-migrate-')),
      'the migration Job',
    );

    const app = await cluster.getApp(namespace, 'accounts');
    t.is(app?.metadata.finalizers, undefined, 'no finalizer: deleting never waits for the operator');
    t.is(app?.status?.observedGeneration, 1);
    t.is(app?.status?.currentImage, 'registry.example.com/skeleton-api:1.4.2');
    t.true(
      await until(async () => (await cluster.getApp(namespace, 'accounts'))?.status?.readyReplicas === 2),
      'the autoscaler raised the Deployment to its minimum of 2 ready replicas',
    );
    t.is(conditionOf(app, 'Progressing')?.status, 'False');
    t.is(conditionOf(app, 'Degraded')?.status, 'False');
    t.is(conditionOf(app, 'MonitoringAvailable')?.reason, 'ServiceMonitorAPIMissing');

    const deployment = (await cluster.objects.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'accounts', namespace: namespace },
    })) as {
      metadata: {
        annotations?: Record<string, string>;
        ownerReferences?: { uid: string; controller?: boolean }[];
      };
    };
    t.like(deployment.metadata.ownerReferences?.[0], { uid: app?.metadata.uid, controller: true });
    t.truthy(deployment.metadata.annotations?.[APPLIED_HASH_ANNOTATION]);
  },
);

onEachBackend(
  'events tell what happened to the app: applied objects, the missing ServiceMonitor API, Ready',
  async (t, backend) => {
    const { cluster, namespace, operator } = await clusterWithOperator(t, {}, backend);
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))));
    // The Ready event is recorded just after the status that says Ready: wait for it to be stored.
    const listEvents = () => cluster.objects.list('events.k8s.io/v1', 'Event', namespace);
    t.true(
      await until(async () =>
        (await listEvents()).items.some(
          (event) => (event as unknown as { reason: string }).reason === 'Ready',
        ),
      ),
    );
    const { items } = await listEvents();
    const events = (
      items as unknown as {
        reason: string;
        type: string;
        note: string;
        eventTime: string;
        regarding: { name: string; kind: string };
      }[]
    )
      // On the control plane the namespace also holds the controllers' own events (pods, ReplicaSets).
      .filter((event) => event.regarding.kind === 'SkeletonApp')
      .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    t.deepEqual(events.map((event) => `${event.type}/${event.reason}`).sort(), [
      'Normal/Applied',
      'Normal/Applied',
      'Normal/KeysCreated',
      'Normal/Ready',
      'Warning/ServiceMonitorAPIMissing',
    ]);
    const applied = events.filter((event) => event.reason === 'Applied').map((event) => event.note);
    t.regex(applied[0] ?? '', /Job\/accounts-migrate-/, 'first the migration');
    t.notRegex(applied[0] ?? '', /Deployment/);
    t.regex(applied[1] ?? '', /Deployment\/accounts/, 'then, once it completed, the Deployment');
    for (const event of events) t.like(event.regarding, { kind: 'SkeletonApp', name: 'accounts' });
    t.deepEqual(
      operator.logger.lines.filter((line) => line.level === 'warn' || line.level === 'error'),
      [],
    );
  },
);

onEachBackend(
  'a spec change bumps the generation, is rolled out and shows in observedGeneration',
  async (t, backend) => {
    const { cluster, namespace } = await clusterWithOperator(t, {}, backend);
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))));

    const image = 'registry.example.com/skeleton-api:1.5.0';
    const patched = await cluster.patchAppSpec(namespace, 'accounts', {
      image,
      replicas: { min: 3, max: 10 },
    });
    t.is(patched.metadata.generation, 2);
    t.true(
      await until(async () => {
        const app = await cluster.getApp(namespace, 'accounts');
        return isReady(app) && app?.status?.currentImage === image && app.status.readyReplicas === 3;
      }),
      'rolled out',
    );
    const app = await cluster.getApp(namespace, 'accounts');
    t.is(app?.status?.observedGeneration, 2);
    t.is(conditionOf(app, 'Ready')?.reason, 'Available');
    const jobs = (await cluster.childrenOf(namespace, 'accounts')).filter((child) =>
      child.startsWith('Job/'),
    );
    t.is(jobs.length, 2, 'a migration Job per image');
  },
);

onEachBackend(
  'a SkeletonApp deleted while the operator is down is gone at once, its children collected',
  async (t, backend) => {
    const { cluster, namespace, operator } = await clusterWithOperator(t, {}, backend);
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))));

    await operator.stop();
    await cluster.deleteApp(namespace, 'accounts');
    t.true(
      await until(async () => (await cluster.getApp(namespace, 'accounts')) === undefined),
      'the app is gone',
    );
    t.true(
      await until(async () => (await cluster.childrenOf(namespace, 'accounts')).length === 0),
      'children collected',
    );
  },
);

onEachBackend(
  'the finalizer an older operator added is removed, so deleting the app never hangs',
  async (t, backend) => {
    const { cluster, namespace, operator } = await clusterWithOperator(t, {}, backend);
    const legacy = exampleApp('accounts', namespace);
    await cluster.createApp({ ...legacy, metadata: { ...legacy.metadata, finalizers: [LEGACY_FINALIZER] } });
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))));
    t.is((await cluster.getApp(namespace, 'accounts'))?.metadata.finalizers, undefined);
    await operator.stop();
    await cluster.deleteApp(namespace, 'accounts');
    t.true(
      await until(async () => (await cluster.getApp(namespace, 'accounts')) === undefined),
      'the app is gone',
    );
  },
);

test('what the spec stops asking for is removed; the rest stays and the app stays Ready', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.createNamespace('identity');
  await cluster.createCrd(SERVICE_MONITOR_CRD);
  const operator = await startOperator(cluster);
  t.teardown(() => operator.stop());
  await cluster.createApp(exampleApp('accounts', 'identity', { config: { LOG_LEVEL: 'info' } }));
  t.true(await until(async () => isReady(await cluster.getApp('identity', 'accounts'))));
  t.true(
    await until(async () =>
      (await cluster.childrenOf('identity', 'accounts')).includes('ConfigMap/accounts-config'),
    ),
  );

  await cluster.patchAppSpec('identity', 'accounts', {
    config: null,
    podDisruptionBudget: { enabled: false },
    networkPolicy: { enabled: false },
    monitoring: { serviceMonitor: { enabled: false } },
  });
  const gone = ['ConfigMap/accounts-config', 'PodDisruptionBudget/accounts', 'NetworkPolicy/accounts'];
  t.true(
    await until(async () => {
      const children = await cluster.childrenOf('identity', 'accounts');
      return gone.every((child) => !children.includes(child));
    }),
    'removed',
  );
  const children = await cluster.childrenOf('identity', 'accounts');
  for (const kept of ['Deployment/accounts', 'Service/accounts', 'HorizontalPodAutoscaler/accounts'])
    t.true(children.includes(kept), kept);
  t.true(
    children.some((child) => child.startsWith('Job/')),
    'the migration Job is kept for its logs',
  );
  const monitors = await cluster.objects.list('monitoring.coreos.com/v1', 'ServiceMonitor', 'identity');
  t.deepEqual(monitors.items, [], 'the ServiceMonitor too');
  t.true(await until(async () => isReady(await cluster.getApp('identity', 'accounts'))));
});

onEachBackend(
  "the stored NetworkPolicy keeps its peers; with an Ingress it admits the controller's namespace",
  async (t, backend) => {
    const { cluster, namespace } = await clusterWithOperator(t, {}, backend);
    await cluster.createApp(
      exampleApp('accounts', namespace, {
        ingress: {
          host: 'accounts.example.com',
          controllerNamespaceSelector: { 'kubernetes.io/metadata.name': 'traefik' },
        },
      }),
    );
    type Policy = { spec?: { ingress?: { from?: { namespaceSelector?: { matchLabels?: object } }[] }[] } };
    t.true(
      await until(async () => {
        const { status, body } = await rawRequest(
          cluster.kubeConfig,
          'GET',
          `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/accounts`,
        );
        const rules = (body as Policy).spec?.ingress ?? [];
        return (
          status === 200 &&
          // The default peer, the app's own namespace: a rule without `from` would admit every source.
          isDeepStrictEqual(rules[0]?.from, [{ podSelector: {} }]) &&
          rules.some((rule) =>
            (rule.from ?? []).some((peer) =>
              isDeepStrictEqual(peer.namespaceSelector?.matchLabels, {
                'kubernetes.io/metadata.name': 'traefik',
              }),
            ),
          )
        );
      }),
      'the controller namespace may reach the API',
    );
  },
);

onEachBackend(
  'the first Deployment starts at replicas.min, and a later apply does not reset it',
  async (t, backend) => {
    const { cluster, namespace } = await clusterWithOperator(t, {}, backend);
    const replicas: number[] = [];
    const watch = await new k8s.Watch(cluster.kubeConfig).watch(
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      {},
      (_type: string, deployment: { spec?: { replicas?: number } }) =>
        replicas.push(deployment.spec?.replicas ?? -1),
      () => {},
    );
    t.teardown(() => watch.abort());
    await cluster.createApp(exampleApp('accounts', namespace, { replicas: { min: 3, max: 10 } }));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))), 'Ready');
    t.is(replicas[0], 3, 'created with the minimum, not the API server default of 1');
    await cluster.patchAppSpec(namespace, 'accounts', { config: { LOG_LEVEL: 'debug' } });
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))));
    const apps = cluster.kubeConfig.makeApiClient(k8s.AppsV1Api);
    t.true(
      await until(async () => {
        const deployment = await apps.readNamespacedDeployment({ name: 'accounts', namespace });
        return (deployment.spec?.template.spec?.containers[0]?.envFrom ?? []).length > 0;
      }),
      'the Deployment was applied again',
    );
    t.deepEqual(
      replicas.filter((count) => count !== 3),
      [],
      'never below the minimum',
    );
  },
);
