import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import test from 'ava';
import {
  expand,
  type PodContext,
  resolveContainer,
  UnsupportedPodSpec,
} from './support/pod-runner/container-spec.js';
import { imageConfig } from './support/pod-runner/image-config.js';
import { hostPathOf, probeUrl } from './support/pod-runner/kubelet.js';

/** The kubelet stand-in's pure parts: the image's configuration and a container as it would start. */

const DOCKERFILE = `# build
FROM node:20 AS build
WORKDIR /src
CMD ["never"]
FROM node:20-slim
ENV NODE_ENV=production \\
    HOME=/tmp
ENV GREETING="hello world"
WORKDIR /app
WORKDIR api
USER 10001:10001
CMD ["node", "dist/main.js"]
`;

const pod: PodContext = {
  name: 'api-0',
  namespace: 'identity',
  uid: 'u-1',
  podIP: '10.201.0.2',
  nodeName: 'kwok-node-0',
  labels: { tier: 'api' },
  secrets: { db: { url: 'postgres://db/app' }, keys: { 'keys.json': '{}' } },
  configMaps: { settings: { LOG_LEVEL: 'debug' } },
};

test("the final stage's WORKDIR, ENV and CMD make the image's configuration", (t) => {
  t.deepEqual(imageConfig(DOCKERFILE), {
    workingDir: '/app/api',
    entrypoint: [],
    cmd: ['node', 'dist/main.js'],
    env: { NODE_ENV: 'production', HOME: '/tmp', GREETING: 'hello world' },
  });
  t.deepEqual(imageConfig('FROM x\nENTRYPOINT tini -s\nENV LEGACY some value').entrypoint, [
    '/bin/sh',
    '-c',
    'tini -s',
  ]);
  t.deepEqual(imageConfig('FROM x\nENV LEGACY some value').env, { LEGACY: 'some value' });
});

test('command, args and env follow Kubernetes: the image fills what the container leaves out', (t) => {
  const image = imageConfig(DOCKERFILE);
  const spec: V1PodSpec = { containers: [] };
  const run = (container: Partial<V1Container>) =>
    resolveContainer(spec, { name: 'c', ...container }, image, pod);
  t.deepEqual(run({}).argv, ['node', 'dist/main.js'], 'the image CMD');
  t.deepEqual(run({ args: ['--x'] }).argv, ['--x'], 'args replace CMD; the image has no ENTRYPOINT');
  t.deepEqual(run({ command: ['node', 'm.js'] }).argv, ['node', 'm.js'], 'a command drops CMD');
  const resolved = run({
    command: ['echo', '$(WHO)', '$$(WHO)'],
    envFrom: [{ configMapRef: { name: 'settings' } }],
    env: [
      { name: 'WHO', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } },
      { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
      { name: 'GREETING', value: '$(GREETING), $(WHO) in $(NOWHERE)' },
    ],
  });
  t.deepEqual(resolved.argv, ['echo', 'api-0', '$(WHO)']);
  t.like(resolved.env, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'debug',
    WHO: 'api-0',
    DATABASE_URL: 'postgres://db/app',
    TIER: 'api',
    GREETING: 'hello world, api-0 in $(NOWHERE)',
  });
  t.is(resolved.workingDir, '/app/api');
  t.is(expand('$$', {}), '$');
});

test('what the kubelet would refuse is an error, and what is not emulated says so', (t) => {
  const image = imageConfig(DOCKERFILE);
  const spec: V1PodSpec = {
    containers: [],
    volumes: [
      { name: 'keys', secret: { secretName: 'keys' } },
      { name: 'tmp', emptyDir: {} },
      { name: 'pvc', persistentVolumeClaim: { claimName: 'x' } },
    ],
  };
  const run = (container: Partial<V1Container>) => () =>
    resolveContainer(spec, { name: 'c', ...container }, image, pod);
  t.throws(run({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'missing', key: 'url' } } }] }), {
    message: /Secret missing not found/,
  });
  t.throws(run({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'nope' } } }] }), {
    message: 'Secret db has no key nope',
  });
  t.throws(run({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }] }), {
    instanceOf: UnsupportedPodSpec,
  });
  t.throws(run({ volumeMounts: [{ name: 'pvc', mountPath: '/data' }] }), { instanceOf: UnsupportedPodSpec });
  t.throws(run({ volumeMounts: [{ name: 'keys', mountPath: '/k', subPath: 'keys.json' }] }), {
    instanceOf: UnsupportedPodSpec,
  });
  t.throws(run({ volumeMounts: [{ name: 'gone', mountPath: '/g' }] }), { message: /names no volume/ });
  const mounted = run({
    volumeMounts: [
      { name: 'keys', mountPath: '/var/keys' },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  })();
  t.deepEqual(mounted.mounts, [
    { mountPath: '/var/keys', files: { 'keys.json': '{}' } },
    { mountPath: '/tmp', files: 'emptyDir' },
  ]);
  const filesystem = { root: '/r', imageFolders: { '/app': '/repo' } };
  t.is(hostPathOf('/var/keys/keys.json', mounted, filesystem), '/r/var/keys/keys.json');
  t.is(hostPathOf('/tmp', mounted, filesystem), '/r/tmp');
  t.is(hostPathOf('/app/api', mounted, filesystem), '/repo/api');
  t.is(hostPathOf('/usr/bin/node', mounted, filesystem), '/usr/bin/node', 'the rest is the host');
});

test('a probe port is found by number or by name', (t) => {
  const container: V1Container = { name: 'api', ports: [{ name: 'http', containerPort: 3000 }] };
  t.is(
    probeUrl({ path: '/health/ready', port: 'http' }, container, '10.0.0.2'),
    'http://10.0.0.2:3000/health/ready',
  );
  t.is(probeUrl({ port: 8080, scheme: 'HTTPS' }, container, '10.0.0.2'), 'https://10.0.0.2:8080/');
  t.throws(() => probeUrl({ port: 'metrics' }, container, '10.0.0.2'), { message: /not a port/ });
});
