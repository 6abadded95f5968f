import test from 'ava';
import type { ResourceType } from './support/kube-fake/resource-registry.js';
import type { KubeObject } from './support/kube-fake/types.js';
import {
  type Cluster,
  conditionOf,
  exampleApp,
  isReady,
  settled,
  startCluster,
  startOperator,
  until,
} from './support/operator-harness.js';

/** Releases gated by migrations: a new image reaches the Deployment only after its migration Job completed. */

const OLD = 'registry.example.com/skeleton-api:1.4.2';
const NEW = 'registry.example.com/skeleton-api:1.5.0';
const BROKEN = 'registry.example.com/skeleton-api:1.5.0-broken';
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

/** Every stored change of a Job or Deployment, in the order the fake stored them (its revisions). */
function recordWrites(cluster: Cluster): Write[] {
  const writes: Write[] = [];
  const { registry, store } = cluster.fake.api;
  for (const [group, plural, kind] of [
    ['batch', 'jobs', 'Job'],
    ['apps', 'deployments', 'Deployment'],
  ] as const) {
    const resource = registry.find(group, 'v1', plural) as ResourceType;
    store.watch({ resource, namespace: 'identity' }, Number(store.resourceVersion), (event) => {
      const conditions = (event.object.status as { conditions?: { type: string; status: string }[] })
        ?.conditions;
      writes.push({
        revision: event.resourceVersion,
        kind,
        name: event.object.metadata.name as string,
        image: imageIn(event.object),
        complete: conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ?? false,
      });
    });
  }
  return writes;
}

const deploymentImage = async (cluster: Cluster) =>
  imageIn(
    (await cluster.objects.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'accounts', namespace: 'identity' },
    })) as unknown as KubeObject,
  );

async function readyOn(cluster: Cluster, image: string) {
  return until(async () => {
    const app = await cluster.getApp('identity', 'accounts');
    return isReady(app) && app?.status?.currentImage === image;
  }, 20_000);
}

test('a new image rolls out only after its migration Job is Complete (order of the stored writes)', async (t) => {
  // Each migration takes a while, so a Deployment moved too early would show in the order.
  const cluster = await startCluster({ controllers: { job: { decide: () => 'Complete', afterMs: 300 } } });
  t.teardown(() => cluster.close());
  await cluster.createNamespace('identity');
  const operator = await startOperator(cluster);
  t.teardown(() => operator.stop());
  const writes = recordWrites(cluster);

  await cluster.createApp(exampleApp('accounts', 'identity'));
  t.true(await readyOn(cluster, OLD));
  await cluster.patchAppSpec('identity', 'accounts', { image: NEW });
  t.true(await readyOn(cluster, NEW));

  for (const image of [OLD, NEW]) {
    const completed = writes.find((write) => write.kind === 'Job' && write.image === image && write.complete);
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
});

test('a failed migration leaves the old image serving, Degraded; a fixed image then rolls out', async (t) => {
  const cluster = await startCluster({
    controllers: { job: { decide: (job) => (imageIn(job) === BROKEN ? 'Failed' : 'Complete') } },
  });
  t.teardown(() => cluster.close());
  await cluster.createNamespace('identity');
  const operator = await startOperator(cluster);
  t.teardown(() => operator.stop());

  await cluster.createApp(exampleApp('accounts', 'identity'));
  t.true(await readyOn(cluster, OLD));
  await cluster.patchAppSpec('identity', 'accounts', { image: BROKEN });
  t.true(
    await until(
      async () =>
        conditionOf(await cluster.getApp('identity', 'accounts'), 'Degraded')?.reason === 'MigrationFailed',
    ),
    'Degraded / MigrationFailed',
  );
  const failed = await cluster.getApp('identity', 'accounts');
  t.is(await deploymentImage(cluster), OLD, 'the Deployment object keeps the old image');
  t.like(conditionOf(failed, 'MigrationSucceeded'), { status: 'False', reason: 'MigrationFailed' });
  t.like(conditionOf(failed, 'Ready'), { status: 'False', reason: 'MigrationFailed' });
  t.is(failed?.status?.currentImage, OLD);
  t.is(failed?.status?.phase, 'MigrationFailed');
  t.true(await settled(cluster, operator));
  cluster.fake.faults.resetCounts();
  operator.resync();
  t.true(await settled(cluster, operator));
  t.is(cluster.fake.faults.writes(), 0, 'no retry storm: the failed Job is not run again');

  await cluster.patchAppSpec('identity', 'accounts', { image: FIXED });
  t.true(await readyOn(cluster, FIXED), 'the fixed image rolls out');
  t.is(await deploymentImage(cluster), FIXED);
  const fixed = await cluster.getApp('identity', 'accounts');
  t.like(conditionOf(fixed, 'Degraded'), { status: 'False' });
  t.like(conditionOf(fixed, 'MigrationSucceeded'), { status: 'True', reason: 'MigrationComplete' });
});
