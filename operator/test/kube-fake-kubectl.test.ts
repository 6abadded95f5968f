import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { parse } from 'yaml';
import { type FakeApiServer, startFakeApiServer } from './support/kube-fake/fake-api-server.js';
import { writeKubeconfig } from './support/kube-fake/kubeconfig.js';

/**
 * The real kubectl against the fake, over HTTP. kubectl must run asynchronously: the fake serves
 * from this process's event loop. Discovery and OpenAPI are cached in the temp dir (--cache-dir),
 * never under $HOME.
 */
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const kubectlTest = hasKubectl ? test.serial : test.skip;
if (!hasKubectl) {
  test('kubectl is not installed: the kubectl tests are skipped', (t) => {
    t.log('kubectl was not found on PATH; install it to run test/kube-fake-kubectl.test.ts');
    t.pass();
  });
}

const run = promisify(execFile);
let fake: FakeApiServer;
let dir: string;
let flags: string[];

test.before(async () => {
  fake = await startFakeApiServer();
  dir = mkdtempSync(join(tmpdir(), 'kube-fake-kubectl-'));
  writeKubeconfig(join(dir, 'kubeconfig'), fake.url);
  flags = ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache')];
});

test.after.always(async () => {
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const kubectl = async (...args: string[]) => (await run('kubectl', [...flags, ...args])).stdout;

const storedConfigMap = (name: string) => {
  const configmaps = fake.api.registry.find('', 'v1', 'configmaps');
  return configmaps && fake.api.store.get(configmaps, 'default', name);
};

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const deploymentYaml = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1
`;

kubectlTest('kubectl get namespaces prints a NAME/AGE table', async (t) => {
  const out = await kubectl('get', 'namespaces');
  t.regex(out, /^NAME\s+AGE\n/);
  t.regex(out, /^default\s+\d+s$/m);
  t.regex(out, /^kube-system\s+\d+s$/m);
});

kubectlTest('kubectl get ns default -o yaml prints the object', async (t) => {
  const namespace = parse(await kubectl('get', 'ns', 'default', '-o', 'yaml'));
  t.like(namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  t.truthy(namespace.metadata.uid);
});

kubectlTest('kubectl create -f, get configmaps, delete configmap', async (t) => {
  const path = file(
    'configmap.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n',
  );
  fake.faults.resetCounts();
  t.is((await kubectl('create', '-f', path)).trim(), 'configmap/x created');
  t.true(
    fake.faults.requests.entries.some((entry) => entry.path === '/openapi/v3/api/v1'),
    'kubectl read the OpenAPI v3 document to learn the server validates fields',
  );
  t.like(storedConfigMap('x'), {
    data: { a: '1' },
  });
  t.regex(await kubectl('get', 'configmaps'), /^NAME\s+AGE\nx\s+\d+s\n$/);
  t.is((await kubectl('delete', 'configmap', 'x')).trim(), 'configmap "x" deleted');
  t.is(storedConfigMap('x'), undefined);
});

kubectlTest('kubectl apply --server-side creates, then changes, with field manager kubectl', async (t) => {
  t.is(
    (await kubectl('apply', '--server-side', '-f', file('d1.yaml', deploymentYaml(1)))).trim(),
    'deployment.apps/web serverside-applied',
  );
  t.is(
    (await kubectl('apply', '--server-side', '-f', file('d2.yaml', deploymentYaml(3)))).trim(),
    'deployment.apps/web serverside-applied',
  );
  const deployment = parse(await kubectl('get', 'deployment', 'web', '-o', 'yaml', '--show-managed-fields'));
  t.is(deployment.spec.replicas, 3);
  const managers = deployment.metadata.managedFields as { manager: string; operation: string }[];
  t.deepEqual(
    managers.map(({ manager, operation }) => `${manager}/${operation}`),
    ['kubectl/Apply'],
  );
});

kubectlTest('kubectl get configmaps -w prints an event for a configmap created meanwhile', async (t) => {
  const child = spawn('kubectl', [...flags, 'get', 'configmaps', '-w'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    const waitFor = async (pattern: RegExp) => {
      const deadline = Date.now() + 10_000;
      while (!pattern.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return pattern.test(out);
    };
    // The watch is open once the fake counts it; kubectl lists first, so wait for both.
    const deadline = Date.now() + 10_000;
    while (fake.faults.requests.count('watch', /\/configmaps$/) === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await kubectl('create', 'configmap', 'watched', '--from-literal=a=b');
    t.true(await waitFor(/^watched\s+\d+s$/m), out);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
