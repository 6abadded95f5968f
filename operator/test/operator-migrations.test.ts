import * as k8s from '@kubernetes/client-node';
import { SKELETON_APP } from '@skeleton/charts';
import type { ExecutionContext } from 'ava';
import { FAILING_IMAGE_SUFFIX } from './support/control-plane/kwok-stages.js';
import { onEachBackend } from './support/each-backend.js';
import type { KubeObject } from './support/kube-fake/types.js';
import {
  type Backend,
  type Cluster,
  conditionOf,
  exampleApp,
  isReady,
  operatorConfig,
  type SkeletonApp,
  settled,
  startCluster,
  startControlPlaneCluster,
  startOperator,
  until,
  untilReason,
} from './support/operator-harness.js';

/**
 * Releases gated by migrations: a new image reaches the Deployment only after its migration Job
 * completed. On the control plane the Job controller runs the Job's pod on kwok's node; a pod of an
 * image whose tag ends in FAILING_IMAGE_SUFFIX exits 1 there. The fake's Job controller is told the same.
 */

const OLD = 'registry.example.com/skeleton-api:1.4.2';
const NEW = 'registry.example.com/skeleton-api:1.5.0';
const BROKEN = `registry.example.com/skeleton-api:1.5.0${FAILING_IMAGE_SUFFIX}`;
const FIXED = 'registry.example.com/skeleton-api:1.5.1';

interface Write {
  revision: number;
  kind: 'Job' | 'Deployment';
  name: string;
  /** The Deployment's image, or the image the Job migrates for. */
  image: string;
  complete: boolean;
}

const imageIn = (object: KubeObject) =>
  ((object.spec as { template?: { spec?: { containers?: { image?: string }[] } } }).template?.spec
    ?.containers ?? [])[0]?.image ?? '';

/**
 * Every stored change of a Job or Deployment in `namespace`, as watches report them; their
 * resourceVersions order them (etcd revisions on the control plane, the store's on the fake).
 */
async function recordWrites(t: ExecutionContext, cluster: Cluster, namespace: string): Promise<Write[]> {
  const writes: Write[] = [];
  for (const [path, kind] of [
    [`/apis/batch/v1/namespaces/${namespace}/jobs`, 'Job'],
    [`/apis/apps/v1/namespaces/${namespace}/deployments`, 'Deployment'],
  ] as const) {
    const watch = await new k8s.Watch(cluster.kubeConfig).watch(
      path,
      {},
      (type: string, object: KubeObject) => {
        if (type !== 'ADDED' && type !== 'MODIFIED') return;
        const conditions = (object.status as { conditions?: { type: string; status: string }[] })?.conditions;
        writes.push({
          revision: Number(object.metadata.resourceVersion),
          kind,
          name: object.metadata.name as string,
          image: imageIn(object),
          complete: conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ?? false,
        });
      },
      () => {},
    );
    t.teardown(() => watch.abort());
  }
  return writes;
}

const deploymentImage = async (cluster: Cluster, namespace: string) =>
  imageIn(
    (await cluster.objects.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'accounts', namespace },
    })) as unknown as KubeObject,
  );

async function readyOn(cluster: Cluster, namespace: string, image: string) {
  return until(async () => {
    const app = await cluster.getApp(namespace, 'accounts');
    return isReady(app) && app?.status?.currentImage === image;
  });
}

/**
 * A cluster where a migration Job and a rollout take a while and a Job fails for BROKEN: on the fake
 * its simulated controllers are told so; on the control plane the real one runs kwok's pods.
 */
async function startMigrationCluster(t: ExecutionContext, backend: Backend): Promise<Cluster> {
  const cluster =
    backend === 'kube-fake'
      ? await startCluster({
          controllers: {
            job: { decide: (job) => (imageIn(job) === BROKEN ? 'Failed' : 'Complete'), afterMs: 300 },
            deployment: { readyAfterMs: 300 },
          },
        })
      : await startControlPlaneCluster();
  t.teardown(() => cluster.close());
  return cluster;
}

/** That cluster with a namespace of the test's own and an operator watching it. */
async function migrationCluster(
  t: ExecutionContext,
  backend: Backend,
  options: Parameters<typeof startOperator>[1] = {},
) {
  const cluster = await startMigrationCluster(t, backend);
  const namespace = await cluster.createNamespace('identity');
  const operator = await startOperator(cluster, options);
  t.teardown(() => operator.stop());
  return { cluster, namespace, operator };
}

/** A failed Job is not retried here: one pod that exits 1 fails it at once. */
const NO_RETRIES = { migrations: { backoffLimit: 0 } };

onEachBackend(
  'a new image rolls out only after its migration Job is Complete (order of the stored writes)',
  async (t, backend) => {
    // Each migration takes a while, so a Deployment moved too early would show in the order.
    const { cluster, namespace } = await migrationCluster(t, backend);
    const writes = await recordWrites(t, cluster, namespace);

    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await readyOn(cluster, namespace, OLD));
    await cluster.patchAppSpec(namespace, 'accounts', { image: NEW });
    t.true(await readyOn(cluster, namespace, NEW));

    for (const image of [OLD, NEW]) {
      const completed = writes.find(
        (write) => write.kind === 'Job' && write.image === image && write.complete,
      );
      const deployed = writes.find((write) => write.kind === 'Deployment' && write.image === image);
      t.truthy(completed, `the migration for ${image} completed`);
      t.truthy(deployed, `${image} was deployed`);
      t.true(
        (completed?.revision ?? Infinity) < (deployed?.revision ?? -1),
        `${image}: the migration came first`,
      );
    }
    const firstDeployment = writes.find((write) => write.kind === 'Deployment');
    t.is(firstDeployment?.image, OLD, 'no Deployment existed before the first migration completed');
  },
);

onEachBackend(
  'a failed migration leaves the old image serving, Degraded; a fixed image then rolls out',
  async (t, backend) => {
    const { cluster, namespace, operator } = await migrationCluster(t, backend);

    await cluster.createApp(exampleApp('accounts', namespace, NO_RETRIES));
    t.true(await readyOn(cluster, namespace, OLD));
    await cluster.patchAppSpec(namespace, 'accounts', { image: BROKEN });
    t.true(
      await untilReason(cluster, namespace, 'accounts', 'Degraded', 'MigrationFailed'),
      'Degraded / MigrationFailed',
    );
    const failed = await cluster.getApp(namespace, 'accounts');
    t.is(await deploymentImage(cluster, namespace), OLD, 'the Deployment object keeps the old image');
    t.like(conditionOf(failed, 'MigrationSucceeded'), { status: 'False', reason: 'MigrationFailed' });
    t.like(conditionOf(failed, 'Ready'), { status: 'False', reason: 'MigrationFailed' });
    t.is(failed?.status?.currentImage, OLD);
    t.is(failed?.status?.phase, 'MigrationFailed');
    t.true(await settled(cluster, operator));
    cluster.resetWrites();
    operator.resync();
    t.true(await settled(cluster, operator));
    t.is(cluster.writes(), 0, 'no retry storm: the failed Job is not run again');

    await cluster.patchAppSpec(namespace, 'accounts', { image: FIXED });
    t.true(await readyOn(cluster, namespace, FIXED), 'the fixed image rolls out');
    t.is(await deploymentImage(cluster, namespace), FIXED);
    const fixed = await cluster.getApp(namespace, 'accounts');
    t.like(conditionOf(fixed, 'Degraded'), { status: 'False' });
    t.like(conditionOf(fixed, 'MigrationSucceeded'), { status: 'True', reason: 'MigrationComplete' });
  },
);

const apps = (cluster: Cluster) => cluster.kubeConfig.makeApiClient(k8s.AppsV1Api);
const batch = (cluster: Cluster) => cluster.kubeConfig.makeApiClient(k8s.BatchV1Api);

const jobsFor = async (cluster: Cluster, namespace: string, image: string) =>
  (await batch(cluster).listNamespacedJob({ namespace })).items.filter(
    (job) => job.spec?.template.spec?.containers[0]?.image === image,
  );

/** Waits until the Deployment exists and runs `image`. */
const deploymentOn = (cluster: Cluster, namespace: string, image: string) =>
  until(async () => (await deploymentImage(cluster, namespace).catch(() => undefined)) === image);

const migrationFailed = async (cluster: Cluster, namespace: string) =>
  until(
    async () =>
      conditionOf(await cluster.getApp(namespace, 'accounts'), 'MigrationSucceeded')?.reason ===
      'MigrationFailed',
  );

/** An app serving OLD whose move to BROKEN failed its migration. */
async function failedRelease(t: ExecutionContext, backend: Backend) {
  const { cluster, namespace, operator } = await migrationCluster(t, backend);
  await cluster.createApp(exampleApp('accounts', namespace, NO_RETRIES));
  t.true(await readyOn(cluster, namespace, OLD));
  await cluster.patchAppSpec(namespace, 'accounts', { image: BROKEN });
  t.true(await migrationFailed(cluster, namespace), 'MigrationFailed');
  return { cluster, namespace, operator };
}

onEachBackend(
  'an image set on the Deployment by hand does not pass the gate: its migration still runs',
  async (t, backend) => {
    const cluster = await startMigrationCluster(t, backend);
    const namespace = await cluster.createNamespace('identity');
    const first = await startOperator(cluster);
    await cluster.createApp(exampleApp('accounts', namespace, NO_RETRIES));
    t.true(await readyOn(cluster, namespace, OLD));
    await first.stop();

    // kubectl set image deployment/accounts api=BROKEN, then the spec asks for that image.
    await apps(cluster).patchNamespacedDeployment(
      {
        name: 'accounts',
        namespace,
        body: { spec: { template: { spec: { containers: [{ name: 'api', image: BROKEN }] } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await cluster.patchAppSpec(namespace, 'accounts', { image: BROKEN });
    const second = await startOperator(cluster);
    t.teardown(() => second.stop());

    t.true(await migrationFailed(cluster, namespace), 'the migration for the hand-set image ran and failed');
    t.is((await jobsFor(cluster, namespace, BROKEN)).length, 1);
    t.true(await deploymentOn(cluster, namespace, OLD), 'the Deployment is back on the last migrated image');
    const app = await cluster.getApp(namespace, 'accounts');
    t.like(conditionOf(app, 'Ready'), { status: 'False', reason: 'MigrationFailed' });
  },
);

onEachBackend(
  'after a failed migration, a deleted Deployment comes back on the last migrated image and the failed Job removed by its TTL is not run again',
  async (t, backend) => {
    const { cluster, namespace, operator } = await failedRelease(t, backend);
    const [failedJob] = await jobsFor(cluster, namespace, BROKEN);
    const jobName = failedJob?.metadata?.name ?? '';
    t.truthy(jobName);

    await batch(cluster).deleteNamespacedJob({ name: jobName, namespace, propagationPolicy: 'Background' });
    await apps(cluster).deleteNamespacedDeployment({ name: 'accounts', namespace });
    t.true(
      await deploymentOn(cluster, namespace, OLD),
      'the Deployment is re-created with the last migrated image',
    );
    t.true(await settled(cluster, operator));
    operator.resync();
    t.true(await settled(cluster, operator));
    t.deepEqual(
      (await jobsFor(cluster, namespace, BROKEN)).map((job) => job.metadata?.name),
      [],
      'the failed migration is remembered on status, not re-run',
    );
    const app = await cluster.getApp(namespace, 'accounts');
    t.like(conditionOf(app, 'MigrationSucceeded'), { status: 'False', reason: 'MigrationFailed' });
  },
);

onEachBackend(
  'a changed memory limit names a new migration Job (its template is immutable) and the objects after it still apply',
  async (t, backend) => {
    const { cluster, namespace } = await failedRelease(t, backend);
    await cluster.patchAppSpec(namespace, 'accounts', {
      resources: { limits: { memory: '768Mi' } },
      config: { LOG_LEVEL: 'debug' },
    });
    t.true(
      await until(async () => (await jobsFor(cluster, namespace, BROKEN)).length === 2),
      'a second Job for the same image, with the new template',
    );
    t.true(
      await until(async () => {
        const config = await cluster.core
          .readNamespacedConfigMap({ name: 'accounts-config', namespace })
          .catch(() => undefined);
        return config?.data?.LOG_LEVEL === 'debug';
      }),
      'the ConfigMap applied after the Job has the new setting',
    );
  },
);

onEachBackend(
  'status.currentImage moves to a new image only once its rollout has finished',
  async (t, backend) => {
    const { cluster, namespace } = await migrationCluster(t, backend);
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await readyOn(cluster, namespace, OLD));
    const seen: SkeletonApp[] = [];
    const watch = await new k8s.Watch(cluster.kubeConfig).watch(
      `/apis/${SKELETON_APP.group}/${SKELETON_APP.version}/namespaces/${namespace}/${SKELETON_APP.plural}`,
      {},
      (_type: string, app: SkeletonApp) => seen.push(app),
      () => {},
    );
    t.teardown(() => watch.abort());
    await cluster.patchAppSpec(namespace, 'accounts', { image: NEW });
    t.true(await readyOn(cluster, namespace, NEW));
    const early = seen.filter(
      (app) => app.status?.currentImage === NEW && conditionOf(app, 'Progressing')?.status !== 'False',
    );
    t.deepEqual(
      early.map((app) => conditionOf(app, 'Progressing')?.message),
      [],
      'no status named the new image while its rollout was under way',
    );
  },
);

onEachBackend(
  'with REQUIRE_IMAGE_DIGEST an image named by tag is refused on status; its digest then rolls out',
  async (t, backend) => {
    const { cluster, namespace } = await migrationCluster(t, backend, {
      config: operatorConfig({ requireImageDigest: true }),
    });
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(
      await untilReason(cluster, namespace, 'accounts', 'Ready', 'ImageDigestRequired'),
      'Ready False / ImageDigestRequired',
    );
    const refused = await cluster.getApp(namespace, 'accounts');
    t.like(conditionOf(refused, 'Degraded'), { status: 'True', reason: 'ImageDigestRequired' });
    t.regex(conditionOf(refused, 'Ready')?.message ?? '', /repository@sha256:<digest>/);
    t.deepEqual(await jobsFor(cluster, namespace, OLD), [], 'no migration runs for a tag');
    t.false((await cluster.childrenOf(namespace, 'accounts')).includes('Deployment/accounts'));

    const pinned = `registry.example.com/skeleton-api@sha256:${'4'.repeat(64)}`;
    await cluster.patchAppSpec(namespace, 'accounts', { image: pinned });
    t.true(await readyOn(cluster, namespace, pinned), 'the image named by digest rolls out');
  },
);

/** Applies the operator sent so far, by child kind (its child-applies metric). */
async function appliesByKind(
  operator: Awaited<ReturnType<typeof startOperator>>,
): Promise<Map<string, number>> {
  const metric = await operator.metrics.registry
    .getSingleMetric('skeleton_operator_child_applies_total')
    ?.get();
  const counts = new Map<string, number>();
  for (const { labels, value } of metric?.values ?? [])
    counts.set(String(labels.kind), (counts.get(String(labels.kind)) ?? 0) + value);
  return counts;
}

onEachBackend(
  'an upgrade applies only the Job and the Deployment: nothing else carries the version',
  async (t, backend) => {
    const { cluster, namespace, operator } = await migrationCluster(t, backend);
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await readyOn(cluster, namespace, OLD));
    const before = await appliesByKind(operator);
    await cluster.patchAppSpec(namespace, 'accounts', { image: NEW });
    t.true(await readyOn(cluster, namespace, NEW));
    const after = await appliesByKind(operator);
    const applied = [...after]
      .filter(([kind, count]) => count > (before.get(kind) ?? 0))
      .map(([kind]) => kind);
    t.deepEqual(applied.sort(), ['Deployment', 'Job']);
  },
);
