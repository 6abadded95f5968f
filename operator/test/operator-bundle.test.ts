import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { writeKubeconfig } from './support/kube-fake/kubeconfig.js';
import { exampleApp, isReady, startCluster, until } from './support/operator-harness.js';
import { childEnvironment, httpGet, OPERATOR_DIR, startProcess } from './support/operator-process.js';

/**
 * The operator as its image runs it: the bundle `npm run build` writes, run by plain node with no
 * TypeScript loader and no node_modules beside it, against the fake over real HTTP. A dependency
 * that the bundler cannot follow (a require of a computed path) would fail here, not in a cluster.
 */

const DEADLINE_MS = 30_000;

test('the bundle starts, reconciles an app to Ready and stops cleanly on SIGTERM', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'operator-bundle-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const bundle = join(directory, 'main.mjs');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts', bundle], {
    cwd: OPERATOR_DIR,
  });

  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.createNamespace('identity');
  const kubeconfig = join(directory, 'kubeconfig');
  writeKubeconfig(kubeconfig, cluster.fake.url);
  // Run from the temporary folder: nothing of the repository (node_modules, sources) is reachable.
  const operator = startProcess(process.execPath, [bundle, '--health-port=0', '--metrics-port=0'], {
    cwd: directory,
    env: childEnvironment({ KUBECONFIG: kubeconfig, LEADER_ELECTION: 'false' }),
  });
  t.teardown(async () => {
    await operator.stop();
  });
  const ports = await operator.waitForLog((line) => line.healthPort !== undefined);
  t.truthy(ports, operator.stderr());
  const health = `http://127.0.0.1:${ports?.healthPort}`;
  t.true(await until(async () => (await httpGet(`${health}/readyz`)).status === 200, DEADLINE_MS), 'ready');

  await cluster.createApp(exampleApp('accounts', 'identity'));
  t.true(
    await until(async () => isReady(await cluster.getApp('identity', 'accounts')), DEADLINE_MS),
    'the app is Ready',
  );

  operator.signal('SIGTERM');
  t.deepEqual(await operator.exited, { code: 0, signal: null }, operator.stderr());
});
