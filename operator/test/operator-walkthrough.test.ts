import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { BACKENDS, type Backend, until } from './support/operator-harness.js';
import { childEnvironment, httpGet, REPO_ROOT, startProcess } from './support/operator-process.js';

/**
 * The README's "Try it", as a person runs it in separate terminals: the control plane (or the
 * standalone fake), kubectl, and `npm start -w operator`, each its own process. Only the ports differ:
 * free ones instead of fixed. On the control plane, which other test files share at the same time,
 * the example's namespace is this test's alone, and the operator watches only it (as the README's
 * command says).
 */
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const kubectlTest = hasKubectl ? test.serial : test.skip;
if (!hasKubectl) {
  test('kubectl is not installed: the walkthrough is skipped', (t) => {
    t.log('kubectl was not found on PATH; install it to run test/operator-walkthrough.test.ts');
    t.pass();
  });
}

const run = promisify(execFile);
const DEADLINE_MS = 60_000;
const CRD = join(REPO_ROOT, 'charts/dist/skeletonapp-crd.yaml');
const EXAMPLE = join(REPO_ROOT, 'charts/dist/example-skeletonapp.yaml');

/** Terminal 1: the control plane (started already, as npm test does first) or the fake; its kubeconfig. */
async function terminalOne(t: ExecutionContext, backend: Backend, dir: string): Promise<string> {
  if (backend === 'control-plane') {
    const up = await run('npm', ['run', '--silent', 'control-plane', '--', 'up'], {
      cwd: REPO_ROOT,
      env: childEnvironment({}),
    });
    return up.stdout.trim().split('\n').at(-1) ?? '';
  }
  const kubeconfig = join(dir, 'kubeconfig');
  const fake = startProcess(
    'npm',
    ['run', 'kube-fake', '-w', 'operator', '--', '--port', '0', '--kubeconfig', kubeconfig],
    { cwd: REPO_ROOT, env: childEnvironment({}), group: true },
  );
  t.teardown(async () => {
    await fake.stop();
  });
  t.truthy(await fake.waitForOutput(/kubeconfig written to /, DEADLINE_MS), fake.stdout() + fake.stderr());
  return kubeconfig;
}

for (const backend of BACKENDS) {
  kubectlTest(
    `[${backend}] the README walkthrough: ${backend}, kubectl apply, npm start; the example app becomes Ready`,
    async (t) => {
      t.timeout(3 * DEADLINE_MS);
      const dir = mkdtempSync(join(tmpdir(), 'operator-walkthrough-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const kubeconfig = await terminalOne(t, backend, dir);
      const kubectl = async (...args: string[]) =>
        (await run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args]))
          .stdout;
      if (backend === 'control-plane') {
        // A namespace left by an interrupted earlier run would hold the app already.
        await leaveNoIdentityNamespace(kubectl);
        t.teardown(() => leaveNoIdentityNamespace(kubectl));
      }

      // Terminal 2: the CRD, the namespace and the example, as published.
      t.regex(
        await kubectl('apply', '-f', CRD),
        /skeletonapps\.platform\.skeleton\.dev (created|unchanged|configured)/,
      );
      t.regex(await kubectl('create', 'namespace', 'identity'), /namespace\/identity created/);
      t.regex(
        await kubectl('apply', '-f', EXAMPLE),
        /skeletonapp\.platform\.skeleton\.dev\/accounts created/,
      );

      // Terminal 3: the operator.
      const operator = startProcess('npm', ['start', '-w', 'operator'], {
        cwd: REPO_ROOT,
        env: childEnvironment({
          KUBECONFIG: kubeconfig,
          WATCH_NAMESPACES: 'identity',
          LEADER_ELECTION: 'false',
          METRICS_PORT: '0',
          HEALTH_PORT: '0',
        }),
        group: true,
      });
      t.teardown(async () => {
        await operator.stop();
      });
      const ports = await operator.waitForLog((line) => line.healthPort !== undefined, DEADLINE_MS);
      t.truthy(ports, operator.stdout() + operator.stderr());

      // Back in terminal 2.
      t.regex(
        await kubectl(
          'wait',
          '-n',
          'identity',
          'skeletonapp/accounts',
          '--for=condition=Ready',
          '--timeout=120s',
        ),
        /skeletonapp\.platform\.skeleton\.dev\/accounts condition met/,
      );
      let table = '';
      t.true(
        await until(async () => {
          table = await kubectl('get', 'skeletonapps', '-n', 'identity');
          return /^accounts\s+registry\.example\.com\/skeleton-api:1\.4\.2\s+2\/2\s+Available\s+\S+$/m.test(
            table,
          );
        }, DEADLINE_MS),
        table,
      );
      t.regex(table, /^NAME\s+IMAGE\s+READY\s+STATUS\s+AGE$/m, "the CRD's printer columns");

      // "conditions and events": the operator writes events.k8s.io/v1 Events; describe lists them as
      // core v1 Events selected by involvedObject, the way a real cluster serves them.
      let described = '';
      t.true(
        await until(async () => {
          described = await kubectl('describe', 'skeletonapp', 'accounts', '-n', 'identity');
          return /^\s+Normal\s+Ready\s+\S+\s+platform\.skeleton\.dev\/skeleton-operator\b/m.test(described);
        }, DEADLINE_MS),
        described,
      );
      t.regex(described, /^\s+Type:\s+Ready$/m, 'the Ready condition');
      t.regex(described, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message$/m);
      t.regex(described, /^\s+Normal\s+Applied\s+/m);
      t.regex(
        await kubectl('get', 'events', '-n', 'identity', '--field-selector', 'reason=Ready', '-o', 'name'),
        /^event\/accounts\.[0-9a-f]+$/m,
      );
      // kube-apiserver's own printer for Events, which the fake follows.
      const events = await kubectl('get', 'events', '-n', 'identity');
      t.regex(events, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
      t.regex(events, /^\S+\s+Normal\s+Ready\s+skeletonapp\/accounts\s+2 replicas ready\.$/m);

      const children = await kubectl('get', 'deployments,services,hpa', '-n', 'identity');
      t.regex(children, /^deployment\.apps\/accounts\s/m);
      t.regex(children, /^service\/accounts\s/m);
      t.regex(children, /^horizontalpodautoscaler\.autoscaling\/accounts\s/m);

      t.is((await httpGet(`http://127.0.0.1:${ports?.healthPort}/readyz`)).status, 200);
      const reconciled =
        /^controller_runtime_reconcile_total\{controller="skeletonapp",result="requeue_after"} [1-9]/m;
      const scrape = () => httpGet(`http://127.0.0.1:${ports?.metricsPort}/metrics`);
      t.true(await until(async () => reconciled.test((await scrape()).body), DEADLINE_MS));

      // Ctrl-C in terminal 3: the terminal signals the whole foreground process group.
      operator.signal('SIGINT');
      await operator.exited;
      t.like(
        operator.logs().find((line) => line.msg === 'stopped'),
        { exitCode: 0 },
        operator.stdout(),
      );
    },
  );
}

/** Deletes the walkthrough's namespace, releasing its app first (no operator may be left to do it). */
async function leaveNoIdentityNamespace(kubectl: (...args: string[]) => Promise<string>): Promise<void> {
  await kubectl(
    'patch',
    'skeletonapp',
    'accounts',
    '-n',
    'identity',
    '--type=merge',
    '-p',
    '{"metadata":{"finalizers":null}}',
  ).catch(() => undefined);
  await kubectl('delete', 'namespace', 'identity', '--ignore-not-found', '--wait=true', '--timeout=60s');
}
