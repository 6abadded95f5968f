import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import test from 'ava';
import { KUBE_PROGRAMS, KWOK_PROGRAM } from './support/control-plane/build.js';
import { CONTROLLERS, components, type Layout, type Ports } from './support/control-plane/components.js';
import {
  componentStatus,
  DEFAULT_STATE_DIR,
  down,
  isOurs,
  readState,
  up,
} from './support/control-plane/control-plane.js';
import { tokenFileLines } from './support/control-plane/pki.js';
import { controlPlaneKubeConfig } from './support/control-plane-cluster.js';

/** The control plane `npm run control-plane -- up` started: what it runs and how it is reached. */

const run = promisify(execFile);
const stateDir = process.env.CONTROL_PLANE_DIR ?? DEFAULT_STATE_DIR;

test('up finds the running control plane healthy and keeps it, building nothing', async (t) => {
  const report = await up(stateDir);
  t.true(report.reused);
  t.deepEqual(report.built, []);
  t.regex(report.state.server, /^https:\/\/127\.0\.0\.1:\d+$/, 'loopback only');
});

test('every process runs: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok', async (t) => {
  const { state } = await up(stateDir);
  const status = componentStatus(state);
  t.deepEqual(
    status.map(({ name }) => name),
    ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'],
  );
  for (const component of status) {
    t.true(component.running, component.name);
    t.true((component.rssMiB ?? 0) > 0, `${component.name} has resident memory`);
  }
});

test('kubectl with the printed kubeconfig: /readyz is ok and the server is the pinned release', async (t) => {
  const { state } = await up(stateDir);
  const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', state.adminKubeconfig, ...args]);
  t.is((await kubectl('get', '--raw', '/readyz')).stdout, 'ok');
  const version = JSON.parse((await kubectl('get', '--raw', '/version')).stdout) as { gitVersion: string };
  t.is(version.gitVersion, state.versions.kubernetes);
});

test('kwok plays the kubelet: a Deployment gets Ready pods and a Job completes', async (t) => {
  const config = await controlPlaneKubeConfig();
  const core = config.makeApiClient(k8s.CoreV1Api);
  const apps = config.makeApiClient(k8s.AppsV1Api);
  const batch = config.makeApiClient(k8s.BatchV1Api);
  const namespace = `harness-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  t.teardown(() => core.deleteNamespace({ name: namespace }).catch(() => undefined));
  const labels = { app: 'web' };
  const container = { name: 'c', image: 'example.com/never-pulled:1' };
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [container] } },
      },
    },
  });
  await batch.createNamespacedJob({
    namespace,
    body: {
      metadata: { name: 'once' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [container] } } },
    },
  });
  const deadline = Date.now() + 30_000;
  let available = 0;
  let complete = false;
  while (Date.now() < deadline && !(available === 2 && complete)) {
    available =
      (await apps.readNamespacedDeployment({ name: 'web', namespace })).status?.availableReplicas ?? 0;
    const job = await batch.readNamespacedJob({ name: 'once', namespace });
    complete = (job.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.is(available, 2, 'the Deployment is available');
  t.true(complete, 'the Job is Complete');
});

test('each component is told loopback addresses only, and the controllers the operator meets', (t) => {
  const ports: Ports = {
    etcdClient: 1,
    etcdPeer: 2,
    apiServer: 3,
    controllerManager: 4,
    scheduler: 5,
    kwok: 6,
  };
  const binaries = Object.fromEntries(
    [...KUBE_PROGRAMS, KWOK_PROGRAM].map((program) => [program, `/bin/${program}`]),
  ) as Parameters<typeof components>[0];
  const layout: Layout = {
    dir: '/run',
    etcdData: '/run/etcd',
    kubeconfigs: { admin: 'a', controllerManager: 'c', scheduler: 's', kwok: 'k' },
    kwokConfig: '/run/kwok.yaml',
  };
  const pki = {
    caCert: 'ca.crt',
    servingCert: 'apiserver.crt',
    servingKey: 'apiserver.key',
    serviceAccountKey: 'sa.key',
    serviceAccountPublicKey: 'sa.pub',
    tokenFile: 'tokens.csv',
    tokens: { admin: 'a', 'kube-controller-manager': 'c', 'kube-scheduler': 's', kwok: 'k' },
  };
  for (const component of components(binaries, ports, pki, layout)) {
    for (const arg of component.args) {
      for (const address of arg.match(/\d+\.\d+\.\d+\.\d+(?=[:/]|$)/g) ?? []) {
        if (!arg.includes('cidr') && !arg.includes('range'))
          t.is(address, '127.0.0.1', `${component.name} ${arg}`);
      }
    }
  }
  for (const needed of [
    'garbage-collector-controller',
    'namespace-controller',
    'deployment-controller',
    'replicaset-controller',
    'job-controller',
    'serviceaccount-controller',
    'serviceaccount-token-controller',
  ])
    t.true(CONTROLLERS.includes(needed), needed);
});

test("the token file names each component's user and groups", (t) => {
  const lines = tokenFileLines({
    admin: 't1',
    'kube-controller-manager': 't2',
    'kube-scheduler': 't3',
    kwok: 't4',
  });
  t.is(
    lines,
    [
      't1,skeleton-admin,skeleton-admin,"system:masters"',
      't2,system:kube-controller-manager,system:kube-controller-manager,""',
      't3,system:kube-scheduler,system:kube-scheduler,""',
      't4,kwok-controller,kwok-controller,"system:masters"',
      '',
    ].join('\n'),
  );
});

test('a second control plane beside the first: up starts it, down stops exactly it and leaves the first', async (t) => {
  t.timeout(180_000);
  const { state: first } = await up(stateDir);
  const other = await mkdtemp(join(tmpdir(), 'control-plane-'));
  t.teardown(async () => {
    await down(other);
    await rm(other, { recursive: true, force: true });
  });
  // The same binaries: a second state folder builds nothing when its cache holds them.
  await symlink(join(stateDir, 'bin'), join(other, 'bin'));
  const report = await up(other);
  t.false(report.reused);
  t.deepEqual(report.built, []);
  t.not(report.state.server, first.server, 'its own ports');
  t.true(componentStatus(report.state).every(({ running }) => running));

  t.deepEqual(await down(other), [
    'kwok',
    'kube-scheduler',
    'kube-controller-manager',
    'kube-apiserver',
    'etcd',
  ]);
  for (const { name, pid, command } of report.state.processes)
    t.false(isOurs(pid, command), `${name} stopped`);
  t.is(await readState(other), undefined, 'no state left to mistake for a running control plane');
  t.true(
    componentStatus(first).every(({ running }) => running),
    'the first control plane still runs',
  );
  t.deepEqual(await down(other), [], 'a second down finds nothing to stop');
});
