import * as k8s from '@kubernetes/client-node';
import { skeletonAppCrd } from '@skeleton/charts';
import test from 'ava';
import {
  type Cluster,
  clusterWithOperator,
  exampleApp,
  isReady,
  operatorConfig,
  type SkeletonApp,
  startCluster,
  startOperator,
  until,
} from './support/operator-harness.js';
import { rawRequest } from './support/raw-request.js';

/** The SkeletonApps' own gauges, as Prometheus reads them from /metrics. */

type Operator = Awaited<ReturnType<typeof startOperator>>;

/** Each series of the exposition text, as `name{label="value",...}` with labels sorted, to its value. */
async function scrape(operator: Operator): Promise<Map<string, number>> {
  const series = new Map<string, number>();
  for (const line of (await operator.metrics.registry.metrics()).split('\n')) {
    const match = /^(\w+)\{(.*)} (\S+)$/.exec(line);
    if (!match?.[1]?.startsWith('skeletonapp_')) continue;
    const labels = (match[2] ?? '').split(',').sort().join(',');
    series.set(`${match[1]}{${labels}}`, Number(match[3]));
  }
  return series;
}

/** The key of one series, labels given in any order. */
const key = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([label, value]) => `${label}="${value}"`)
    .sort()
    .join(',')}}`;

const seriesOfApp = (series: Map<string, number>, namespace: string, name: string) =>
  [...series.keys()].filter(
    (id) => id.includes(`namespace="${namespace}"`) && id.includes(`skeletonapp="${name}"`),
  );

/** The app once reconciled: Ready, with its first signing key. */
async function reconciledApp(cluster: Cluster, name: string) {
  let app: SkeletonApp | undefined;
  await until(async () => {
    app = await cluster.getApp('identity', name);
    return isReady(app) && app?.status?.lastRotationTime !== undefined;
  });
  return app;
}

test("each app exports its conditions, key rotation and autoscaler, and a deleted app's series go", async (t) => {
  const { cluster, operator } = await clusterWithOperator(t);
  await cluster.createApp(exampleApp('accounts', 'identity'));
  // billing leaves jwt.rotationInterval to its default, 720h.
  await cluster.createApp(
    exampleApp('billing', 'identity', { replicas: { min: 1, max: 3 }, jwt: { accessTokenTTL: '15m' } }),
  );

  for (const name of ['accounts', 'billing']) {
    const app = await reconciledApp(cluster, name);
    const conditions = app?.status?.conditions ?? [];
    const id = { namespace: 'identity', skeletonapp: name };
    const expected = new Map<string, number>([
      [
        key('skeletonapp_key_rotation_last_timestamp_seconds', id),
        Date.parse(app?.status?.lastRotationTime ?? '') / 1000,
      ],
      [key('skeletonapp_key_rotation_interval_seconds', id), 720 * 3600],
      [key('skeletonapp_hpa_current_replicas', id), name === 'accounts' ? 2 : 1],
      [key('skeletonapp_hpa_max_replicas', id), name === 'accounts' ? 10 : 3],
      ...conditions.flatMap(({ type, status: current }) =>
        ['True', 'False', 'Unknown'].map((status): [string, number] => [
          key('skeletonapp_status_condition', { ...id, type, status }),
          status === current ? 1 : 0,
        ]),
      ),
    ]);
    t.true(conditions.some(({ type }) => type === 'Ready'));
    // The operator's caches follow the API server through watch events, so they may lag a moment.
    t.true(
      await until(async () => {
        const series = await scrape(operator);
        return [...expected].every(([id, value]) => series.get(id) === value);
      }),
      name,
    );
    t.deepEqual(seriesOfApp(await scrape(operator), 'identity', name).sort(), [...expected.keys()].sort());
  }

  await cluster.deleteApp('identity', 'billing');
  t.true(
    await until(async () => seriesOfApp(await scrape(operator), 'identity', 'billing').length === 0),
    "the deleted app's series are gone",
  );
  t.true(seriesOfApp(await scrape(operator), 'identity', 'accounts').length > 0, 'the other app stays');
});

/** Replaces the SkeletonApp CRD by one whose replicas carry no CEL rule, as an older CRD might. */
async function withoutReplicasRule(cluster: Cluster): Promise<void> {
  const crd = skeletonAppCrd() as unknown as {
    spec: {
      versions: {
        schema: {
          openAPIV3Schema: {
            properties: Record<string, { properties: Record<string, Record<string, unknown>> }>;
          };
        };
      }[];
    };
    metadata: { name: string; resourceVersion?: string };
  };
  for (const version of crd.spec.versions)
    delete version.schema.openAPIV3Schema.properties.spec?.properties.replicas?.['x-kubernetes-validations'];
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
  const { body } = await rawRequest(cluster.kubeConfig, 'GET', path);
  crd.metadata.resourceVersion = (body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const { status } = await rawRequest(cluster.kubeConfig, 'PUT', path, crd);
  if (status !== 200) throw new Error(`the CRD was not replaced: ${status}`);
}

test('a standby exports them from its caches: what an app lacks is absent, an unread spec fails no scrape', async (t) => {
  // No autoscaler controller: an HPA keeps the empty status of one not yet counted.
  const cluster = await startCluster({ controllers: { hpa: false } });
  t.teardown(() => cluster.close());
  await cluster.createNamespace('skeleton-system');
  await cluster.createNamespace('identity');
  // Held by another replica for an hour: this one stands by and never reconciles.
  await cluster.kubeConfig.makeApiClient(k8s.CoordinationV1Api).createNamespacedLease({
    namespace: 'skeleton-system',
    body: {
      metadata: { name: 'skeleton-operator' },
      spec: { holderIdentity: 'operator-z', leaseDurationSeconds: 3600, renewTime: new k8s.V1MicroTime() },
    },
  });
  const config = operatorConfig();
  const standby = await startOperator(cluster, {
    config: { ...config, leaderElection: { ...config.leaderElection, enabled: true } },
  });
  t.teardown(() => standby.stop());
  // Under a CRD older than the operator, one without the replicas rule, min > max gets in. Both odd
  // apps are created first: one watch delivers all three in order, so once accounts is seen, they
  // are cached too.
  await withoutReplicasRule(cluster);
  await cluster.createApp(exampleApp('unread', 'identity', { replicas: { min: 5, max: 2 } }));
  await cluster.createApp(exampleApp('huge', 'identity', { jwt: { rotationInterval: '9999999999999999h' } }));
  await cluster.createApp(exampleApp('accounts', 'identity', { jwt: { rotationInterval: '1h30m' } }));

  const id = { namespace: 'identity', skeletonapp: 'accounts' };
  const interval = key('skeletonapp_key_rotation_interval_seconds', id);
  t.true(await until(async () => (await scrape(standby)).has(interval)));
  let series = await scrape(standby);
  t.false(standby.leading);
  t.is(series.get(interval), 5400, 'the interval from the spec');
  t.deepEqual(seriesOfApp(series, 'identity', 'accounts'), [interval], 'no status, no autoscaler yet');
  t.deepEqual(
    seriesOfApp(series, 'identity', 'unread'),
    [],
    'a spec the operator cannot read has no interval',
  );
  t.deepEqual(seriesOfApp(series, 'identity', 'huge'), [], 'nor has an interval too long to count');

  const app = await cluster.getApp('identity', 'accounts');
  await cluster.objects.create({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: 'accounts',
      namespace: 'identity',
      labels: { 'app.kubernetes.io/managed-by': 'skeleton-operator' },
      ownerReferences: [
        {
          apiVersion: app?.apiVersion ?? '',
          kind: 'SkeletonApp',
          name: 'accounts',
          uid: app?.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'accounts' },
      minReplicas: 2,
      maxReplicas: 4,
    },
  } as k8s.KubernetesObject);
  const max = key('skeletonapp_hpa_max_replicas', id);
  t.true(await until(async () => (await scrape(standby)).has(max)));
  series = await scrape(standby);
  t.is(series.get(max), 4);
  t.is(
    series.get(key('skeletonapp_hpa_current_replicas', id)),
    0,
    'no count yet reads as none, as Kubernetes omits 0',
  );
});
