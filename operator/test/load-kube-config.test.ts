import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { KubeConfigError, loadKubeConfig, SERVICE_ACCOUNT_DIR } from '../src/kube/load-kube-config.js';
import { writeKubeconfig } from './support/kube-fake/kubeconfig.js';

/** How the operator finds its cluster: KUBECONFIG, else the pod's service account, else ~/.kube/config. */

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'load-kube-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A kubeconfig with one cluster, user and context, all called `name`. */
function kubeconfigFile(
  dir: string,
  name: string,
  server: string,
  options: { current?: boolean; insecure?: boolean } = {},
): string {
  const path = join(dir, `${name}.kubeconfig`);
  const document = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': options.insecure } }],
    users: [{ name, user: { token: 't' } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    ...(options.current === false ? {} : { 'current-context': name }),
  };
  writeFileSync(path, JSON.stringify(document));
  return path;
}

/** A service account mount under `root`, as the kubelet makes it. */
function serviceAccount(root: string): void {
  const dir = join(root, SERVICE_ACCOUNT_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), 'token');
  writeFileSync(join(dir, 'ca.crt'), '');
  writeFileSync(join(dir, 'namespace'), 'skeleton-system');
}

test('KUBECONFIG is used when set, and a loopback plain-HTTP server (the fake) is allowed', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'kubeconfig');
  writeKubeconfig(file, 'http://127.0.0.1:6443');
  const { kubeConfig, source, server } = loadKubeConfig({ env: { KUBECONFIG: file }, home: dir });
  t.is(source, `KUBECONFIG ${file}`);
  t.is(server, 'http://127.0.0.1:6443');
  t.true(kubeConfig.getCurrentCluster()?.skipTLSVerify, 'client-node refuses http:// without it');
  t.is(kubeConfig.getCurrentUser()?.token, 'kube-fake');
});

test('KUBECONFIG with several files merges them; the first one names the current context', (t) => {
  const dir = tempDir(t);
  const first = kubeconfigFile(dir, 'first', 'https://first.example.com');
  const second = kubeconfigFile(dir, 'second', 'https://second.example.com');
  const { kubeConfig, server } = loadKubeConfig({ env: { KUBECONFIG: `${first}${delimiter}${second}` } });
  t.is(server, 'https://first.example.com');
  t.deepEqual(
    kubeConfig.getContexts().map((context) => context.name),
    ['first', 'second'],
  );
  t.false(kubeConfig.getCurrentCluster()?.skipTLSVerify, 'https is left as configured');

  const none = kubeconfigFile(dir, 'none', 'https://none.example.com', { current: false });
  const merged = loadKubeConfig({ env: { KUBECONFIG: `${none}${delimiter}${second}` } });
  t.is(merged.server, 'https://second.example.com', 'a file without one leaves the choice to the next');
});

test('KUBECONFIG naming a missing file says which', (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'nope');
  t.throws(() => loadKubeConfig({ env: { KUBECONFIG: missing } }), {
    instanceOf: KubeConfigError,
    message: `KUBECONFIG names ${missing}, which does not exist`,
  });
});

test('a file that is not a kubeconfig is refused with its name', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'broken');
  writeFileSync(file, '{"clusters": [{"cluster": {}}]}');
  t.throws(() => loadKubeConfig({ env: { KUBECONFIG: file } }), {
    instanceOf: KubeConfigError,
    message: new RegExp(`^${file} is not a usable kubeconfig: `),
  });
});

test('a kubeconfig without a current context is refused', (t) => {
  const file = kubeconfigFile(tempDir(t), 'x', 'https://x.example.com', { current: false });
  t.throws(() => loadKubeConfig({ env: { KUBECONFIG: file } }), {
    instanceOf: KubeConfigError,
    message: /no current context, or its cluster has no server URL$/,
  });
});

test('plain HTTP to another machine is refused unless the cluster skips TLS verification', (t) => {
  const dir = tempDir(t);
  const file = kubeconfigFile(dir, 'remote', 'http://10.0.0.1:8080');
  t.throws(() => loadKubeConfig({ env: { KUBECONFIG: file } }), {
    instanceOf: KubeConfigError,
    message: /http:\/\/10\.0\.0\.1:8080 is plain HTTP to another machine/,
  });
  const insecure = kubeconfigFile(dir, 'insecure', 'http://10.0.0.1:8080', { insecure: true });
  t.is(loadKubeConfig({ env: { KUBECONFIG: insecure } }).server, 'http://10.0.0.1:8080');
  for (const host of ['localhost', '[::1]', '127.0.0.2']) {
    const local = kubeconfigFile(dir, 'local', `http://${host}:8001`);
    t.is(loadKubeConfig({ env: { KUBECONFIG: local } }).server, `http://${host}:8001`, host);
  }
});

test('in a pod (KUBERNETES_SERVICE_HOST) the service account is used', (t) => {
  const root = tempDir(t);
  serviceAccount(root);
  // client-node reads the host and port from process.env itself; set and restored synchronously.
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  Object.assign(process.env, env);
  try {
    const { kubeConfig, source, server } = loadKubeConfig({ env, home: root, serviceAccountRoot: root });
    t.is(source, 'in-cluster service account');
    t.is(server, 'https://10.96.0.1:443');
    t.is(
      kubeConfig.getCurrentUser()?.authProvider?.config?.tokenFile,
      join(root, SERVICE_ACCOUNT_DIR, 'token'),
    );
    t.is(kubeConfig.getContextObject(kubeConfig.currentContext)?.namespace, 'skeleton-system');
  } finally {
    for (const [name, value] of [
      ['KUBERNETES_SERVICE_HOST', saved.host],
      ['KUBERNETES_SERVICE_PORT', saved.port],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('in a pod without a mounted token it says so', (t) => {
  const root = tempDir(t);
  t.throws(
    () => loadKubeConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, serviceAccountRoot: root }),
    {
      instanceOf: KubeConfigError,
      message: /^KUBERNETES_SERVICE_HOST is set but there is no service account token at .*token/,
    },
  );
});

test('KUBECONFIG wins over the service account', (t) => {
  const dir = tempDir(t);
  const file = kubeconfigFile(dir, 'chosen', 'https://chosen.example.com');
  const { source } = loadKubeConfig({ env: { KUBECONFIG: file, KUBERNETES_SERVICE_HOST: '10.96.0.1' } });
  t.is(source, `KUBECONFIG ${file}`);
});

test('otherwise ~/.kube/config is used', (t) => {
  const home = tempDir(t);
  mkdirSync(join(home, '.kube'));
  const file = kubeconfigFile(join(home, '.kube'), 'home', 'https://home.example.com');
  const config = join(home, '.kube', 'config');
  renameSync(file, config);
  const { source, server } = loadKubeConfig({ env: {}, home });
  t.is(source, config);
  t.is(server, 'https://home.example.com');
});

test('with nothing configured it says how to configure a cluster', (t) => {
  const home = tempDir(t);
  t.throws(() => loadKubeConfig({ env: { KUBECONFIG: '' }, home }), {
    instanceOf: KubeConfigError,
    message: new RegExp(
      `^No Kubernetes cluster configured: set KUBECONFIG .* or create ${join(home, '.kube', 'config')}$`,
    ),
  });
});
