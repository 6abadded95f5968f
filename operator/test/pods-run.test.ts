import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import test from 'ava';
import pg from 'pg';
import { createTestDatabase } from '../../api/test/support/database.js';
import { startTcpProxy, targetOf } from '../../api/test/support/tcp-proxy.js';
import { exampleApp, startControlPlaneCluster, startOperator, until } from './support/operator-harness.js';
import { REPO_ROOT } from './support/operator-process.js';
import { type PodContext, resolveContainer } from './support/pod-runner/container-spec.js';
import { imageConfig } from './support/pod-runner/image-config.js';
import {
  type ContainerFilesystem,
  probeOnce,
  probeUrl,
  startContainer,
} from './support/pod-runner/kubelet.js';
import { createPodNetwork } from './support/pod-runner/pod-network.js';

/**
 * kwok's pods run no container, so a render test and the control plane cannot tell whether the
 * containers would start. Here the migration Job and the API Deployment, as the control plane stores
 * them for the example app, are run as a kubelet would: the image's command and working directory
 * (from api/Dockerfile's final stage; its files are the repository, built as that Dockerfile builds
 * them), the env with its Secret keys, the Secret volumes in the kubelet's ..data layout, a network
 * namespace of the pod's own, and the probes on their ports. The migration must migrate a real
 * database, the API must pass its readiness probe, and a sign-up and login must work through it.
 */

const run = promisify(execFile);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const decoded = (data: Record<string, string> | undefined) =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
  );

test('the example app: its migration Job and Deployment as stored run, migrate, pass readiness and serve a login', async (t) => {
  t.timeout(300_000);
  // The image's build stage (tsc -p api/tsconfig.build.json) and its configuration.
  await run('npx', ['tsc', '-p', 'api/tsconfig.build.json'], { cwd: REPO_ROOT });
  const image = imageConfig(readFileSync(join(REPO_ROOT, 'api/Dockerfile'), 'utf8'));

  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const network = await createPodNetwork();
  t.teardown(() => network.close());
  // The pod reaches PostgreSQL and Redis through the host's end of its network, as it would reach
  // services outside the cluster.
  const postgres = await startTcpProxy(targetOf(database.url), network.hostIP);
  t.teardown(() => postgres.close());
  const redis = await startTcpProxy(targetOf(REDIS_URL), network.hostIP);
  t.teardown(() => redis.close());

  const cluster = await startControlPlaneCluster();
  t.teardown(() => cluster.close());
  const namespace = await cluster.createNamespace('identity');
  const secret = (name: string, url: string) =>
    cluster.core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: { url } } });
  await secret('accounts-db', postgres.route(database.url));
  await secret('accounts-redis', redis.route(REDIS_URL));
  const operator = await startOperator(cluster);
  t.teardown(() => operator.stop());
  await cluster.createApp(exampleApp('accounts', namespace));

  const apps = cluster.kubeConfig.makeApiClient(k8s.AppsV1Api);
  const batch = cluster.kubeConfig.makeApiClient(k8s.BatchV1Api);
  let deployment: k8s.V1Deployment | undefined;
  t.true(
    await until(async () => {
      deployment = await apps
        .readNamespacedDeployment({ name: 'accounts', namespace })
        .catch(() => undefined);
      return deployment !== undefined;
    }),
    'the operator created the Deployment once the migration Job completed on the control plane',
  );
  const [job] = (await batch.listNamespacedJob({ namespace })).items;
  if (!job?.spec || !deployment?.spec) return t.fail('no migration Job or Deployment stored');

  const secrets: PodContext['secrets'] = {};
  for (const { metadata, data } of (await cluster.core.listNamespacedSecret({ namespace })).items)
    secrets[metadata?.name ?? ''] = decoded(data);
  const configMaps: PodContext['configMaps'] = {};
  for (const { metadata, data } of (await cluster.core.listNamespacedConfigMap({ namespace })).items)
    configMaps[metadata?.name ?? ''] = data ?? {};
  const podOf = (name: string, labels: Record<string, string> = {}): PodContext => ({
    name,
    namespace,
    uid: randomUUID(),
    podIP: network.podIP,
    nodeName: 'kwok-node-0',
    labels,
    secrets,
    configMaps,
  });
  const root = await mkdtemp(join(tmpdir(), 'skeleton-pod-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const filesystem = (pod: string): ContainerFilesystem => ({
    root: join(root, pod),
    imageFolders: { '/app': REPO_ROOT },
  });

  // The migration Job's pod: it must exit 0 having migrated the database.
  const jobSpec = job.spec.template.spec as k8s.V1PodSpec;
  const migrate = resolveContainer(
    jobSpec,
    jobSpec.containers[0] as k8s.V1Container,
    image,
    podOf('migrate'),
  );
  const migration = await startContainer(migrate, network, filesystem('migrate'));
  t.teardown(() => migration.stop());
  const exit = await migration.exited;
  t.is(exit.code, 0, `${migrate.argv.join(' ')}\n${migration.stdout()}\n${migration.stderr()}`);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const { rows } = await client.query('select count(*)::int as applied from knex_migrations');
  await client.end();
  t.true((rows[0] as { applied: number }).applied > 0, 'migrations applied');

  // The API's pod: started as the Deployment says, ready by its own readiness probe.
  const podSpec = deployment.spec.template.spec as k8s.V1PodSpec;
  const apiContainer = podSpec.containers[0] as k8s.V1Container;
  const api = resolveContainer(
    podSpec,
    apiContainer,
    image,
    podOf('api', deployment.spec.template.metadata?.labels),
  );
  const server = await startContainer(api, network, filesystem('api'));
  t.teardown(() => server.stop());
  const readiness = probeUrl(
    apiContainer.readinessProbe?.httpGet as k8s.V1HTTPGetAction,
    apiContainer,
    network.podIP,
  );
  const liveness = probeUrl(
    apiContainer.livenessProbe?.httpGet as k8s.V1HTTPGetAction,
    apiContainer,
    network.podIP,
  );
  t.true(
    await until(() => probeOnce(readiness), 60_000),
    `the readiness probe ${readiness} passes\n${server.stdout().slice(-3000)}\n${server.stderr().slice(-3000)}`,
  );
  t.true(await probeOnce(liveness), `the liveness probe ${liveness} passes`);

  const base = new URL(readiness).origin;
  const post = (path: string, body: object) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const account = { email: `pod-${randomUUID()}@example.test`, password: 'correct horse battery staple 42' };
  t.is((await post('/api/v1/auth/register', { ...account, name: 'Pod User' })).status, 201);
  const login = await post('/api/v1/auth/login', account);
  t.is(login.status, 200);
  const { data } = (await login.json()) as { data: { accessToken: string } };
  const me = await fetch(`${base}/api/v1/users/me`, {
    headers: { authorization: `Bearer ${data.accessToken}` },
  });
  t.is(me.status, 200, 'the token signed with the key from the mounted key-set Secret verifies');

  const metricsPort = apiContainer.ports?.find((port) => port.name === 'metrics')?.containerPort;
  const scrape = await fetch(`http://${network.podIP}:${metricsPort}/metrics`);
  t.is(scrape.status, 200, 'metrics on their own port');
  t.regex(await scrape.text(), /http_request_duration_seconds/);
  t.is((await fetch(`${base}/metrics`)).status, 404, 'and not on the port clients reach');
});
