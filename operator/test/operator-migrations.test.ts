import * as k8s from '@kubernetes/client-node';
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
  settled,
  startCluster,
  startControlPlaneCluster,
  startOperator,
  until,
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
 * A cluster where a migration Job takes a while and fails for BROKEN: on the fake its simulated Job
 * controller is told so; on the control plane the real one runs kwok's pods.
 */
async function startMigrationCluster(t: ExecutionContext, backend: Backend): Promise<Cluster> {
  const cluster =
    backend === 'kube-fake'
      ? await startCluster({
          controllers: {
            job: { decide: (job) => (imageIn(job) === BROKEN ? 'Failed' : 'Complete'), afterMs: 300 },
          },
        })
      : await startControlPlaneCluster();
  t.teardown(() => cluster.close());
  return cluster;
}

/** A failed Job is not retried here: one pod that exits 1 fails it at once. */
const NO_RETRIES = { migrations: { backoffLimit: 0 } };

onEachBackend(
  'a new image rolls out only after its migration Job is Complete (order of the stored writes)',
  async (t, backend) => {
    // Each migration takes a while, so a Deployment moved too early would show in the order.
    const cluster = await startMigrationCluster(t, backend);
    const namespace = await cluster.createNamespace('identity');
    const operator = await startOperator(cluster);
    t.teardown(() => operator.stop());
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
    const cluster = await startMigrationCluster(t, backend);
    const namespace = await cluster.createNamespace('identity');
    const operator = await startOperator(cluster);
    t.teardown(() => operator.stop());

    await cluster.createApp(exampleApp('accounts', namespace, NO_RETRIES));
    t.true(await readyOn(cluster, namespace, OLD));
    await cluster.patchAppSpec(namespace, 'accounts', { image: BROKEN });
    t.true(
      await until(
        async () =>
          conditionOf(await cluster.getApp(namespace, 'accounts'), 'Degraded')?.reason === 'MigrationFailed',
      ),
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
