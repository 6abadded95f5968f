/**
 * The operator under load: `npm run bench:operator`. The operator runs in its own process (as in a
 * cluster), built as its image runs it, against the fake kube-apiserver in this process or, with
 * BENCH_OPERATOR_BACKEND=control-plane, against the real control plane `npm run control-plane -- up`
 * started. N SkeletonApps are created at once after a baseline of single apps, and every step is
 * timed from the API server's change notifications.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../api/test/support/free-port.js';
import { parseSpec } from '../operator/src/reconcile/desired-state.js';
import { childEnvironment, OPERATOR_DIR } from '../operator/test/support/operator-process.js';
import { imageConfig } from '../operator/test/support/pod-runner/image-config.js';
import { runBench } from './entry.js';
import type { BackendName, BenchBackend } from './operator/backend.js';
import { benchApp, createApp, inParallel } from './operator/cluster.js';
import { startControlPlaneBackend } from './operator/control-plane-backend.js';
import { type DriftResult, measureDriftHeal } from './operator/drift.js';
import { startFakeBackend } from './operator/fake-backend.js';
import { judgeGoals } from './operator/goals.js';
import { type AppRef, BenchRun, mergeBaseline } from './operator/phase.js';
import { RssSampler } from './operator/process-stats.js';
import {
  goalFigures,
  type OperatorBenchContext,
  type PhaseResult,
  renderMarkdown,
  writesPerApp,
} from './operator/report.js';
import { written } from './operator/writes.js';
import { startServer, stopAllServers } from './processes.js';
import { writeResultFiles } from './report.js';
import { setting } from './settings.js';

const STEADY_SECONDS = 10;
const DRIFT_TIMEOUT_MS = 30_000;
const RSS_SAMPLE_MS = 250;

const BACKENDS: Record<BackendName, { apps: number; describe: string; results: string }> = {
  'kube-fake': {
    apps: 1000,
    describe:
      'the fake kube-apiserver in the bench process, its simulated controllers making Deployments Available, Jobs Complete and HPAs report at once',
    results: 'operator-latest',
  },
  // Every app runs pods here (kwok plays the kubelet) and the whole control plane shares the machine
  // with the operator and the bench: fewer apps keep a run within minutes on two CPUs.
  'control-plane': {
    apps: 100,
    describe:
      'the real control plane (kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kwok for nodes and pods) on this machine, over HTTPS',
    results: 'operator-control-plane-latest',
  },
};

function backendName(): BackendName {
  const raw = process.env.BENCH_OPERATOR_BACKEND || 'kube-fake';
  if (raw !== 'kube-fake' && raw !== 'control-plane')
    throw new Error(`BENCH_OPERATOR_BACKEND must be kube-fake or control-plane (got "${raw}")`);
  return raw;
}

const backendChoice = backendName();
const settings = {
  backend: backendChoice,
  apps: setting('BENCH_OPERATOR_APPS', BACKENDS[backendChoice].apps),
  namespaces: setting('BENCH_OPERATOR_NAMESPACES', 4),
  parallelCreates: setting('BENCH_OPERATOR_PARALLEL_CREATES', 64),
  baselineApps: setting('BENCH_OPERATOR_BASELINE_APPS', 5),
  concurrency: setting('BENCH_OPERATOR_CONCURRENCY', 4),
  timeoutSeconds: setting('BENCH_OPERATOR_TIMEOUT_SECONDS', 600),
  /** Deployments changed by hand after the steady state, spread over the apps, each timed until healed. */
  driftEdits: setting('BENCH_OPERATOR_DRIFT_EDITS', 50),
  /** A directory for the operator's V8 CPU profile (--cpu-prof), written when it exits. */
  cpuProfileDirectory: process.env.BENCH_OPERATOR_CPU_PROF_DIR || undefined,
};

const progress = (message: string) => process.stderr.write(`${message}\n`);

let cleaning: Promise<void> | undefined;
const cleanUps: (() => Promise<void>)[] = [];
// The operator first: the API server going away under it would only produce noise on its way out.
const cleanUp = () => {
  cleaning ??= stopAllServers().then(async () => {
    for (const step of cleanUps.reverse()) await step();
  });
  return cleaning;
};

/** The pods the apps run at once (the bench's spec's minimum replicas each), for the control plane's nodes. */
function runningPods(apps: number): number {
  const parsed = parseSpec(benchApp('any', 'any'));
  if (!parsed.ok) throw new Error("the bench's app is invalid");
  return apps * parsed.spec.replicas.min;
}

/**
 * How the operator image starts the operator (its Dockerfile's final stage): node's options, the
 * bundle and the environment, so the bench measures exactly that. `npm run bench:operator` builds
 * the bundle first.
 */
function imageCommand(): { nodeArgs: string[]; script: string; env: Record<string, string> } {
  const { entrypoint, env } = imageConfig(readFileSync(join(OPERATOR_DIR, 'Dockerfile'), 'utf8'));
  const [node, ...args] = entrypoint;
  const script = args.pop();
  if (node !== 'node' || script === undefined)
    throw new Error(
      `the operator image's entrypoint is not node and a script: ${JSON.stringify(entrypoint)}`,
    );
  return { nodeArgs: args, script, env };
}

async function startBackend(namespaces: string[], directory: string): Promise<BenchBackend> {
  if (settings.backend === 'kube-fake') return startFakeBackend(namespaces, directory);
  return startControlPlaneBackend(namespaces, runningPods(settings.apps + settings.baselineApps));
}

async function main(): Promise<boolean> {
  // Other work on the machine takes CPU from the fake and the operator alike: worth knowing when reading the times.
  const notes = [
    `${availableParallelism()} CPUs; load average ${loadavg()[0]?.toFixed(2)} when the bench started.`,
  ];
  const directory = await mkdtemp(join(tmpdir(), 'bench-operator-'));
  cleanUps.push(() => rm(directory, { recursive: true, force: true }));
  const backend = await startBackend(
    ['bench-alone', ...Array.from({ length: settings.namespaces }, (_, index) => `bench-${index + 1}`)],
    directory,
  );
  cleanUps.push(() => backend.close());
  const [baselineNamespace = '', ...loadNamespaces] = backend.namespaces;

  const metricsPort = await freePort();
  const image = imageCommand();
  notes.push(
    `the operator ran as its image runs it: ${['node', ...image.nodeArgs, image.script].join(' ')}.`,
  );
  const operator = await startServer({
    name: 'operator',
    cwd: OPERATOR_DIR,
    script: image.script,
    readyPath: '/readyz',
    portVariable: 'HEALTH_PORT',
    nodeArgs: [
      ...image.nodeArgs,
      ...(settings.cpuProfileDirectory
        ? ['--cpu-prof', `--cpu-prof-dir=${resolve(settings.cpuProfileDirectory)}`]
        : []),
    ],
    baseEnv: childEnvironment(image.env),
    env: {
      KUBECONFIG: backend.kubeconfig,
      LEADER_ELECTION: 'false',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      MAX_CONCURRENT_RECONCILES: String(settings.concurrency),
    },
  });
  const sampler = new RssSampler(operator.pid, RSS_SAMPLE_MS);
  cleanUps.push(async () => sampler.stop());
  const run = await BenchRun.start(backend, operator, metricsPort, progress);
  cleanUps.push(async () => run.tracker.stop());
  await run.settle();

  /** Creates the apps, `parallel` requests at a time; resolves with how long that took. */
  const createApps = async (apps: AppRef[], parallel: number) => {
    const sentAt = performance.now();
    await inParallel(apps, parallel, async ({ namespace, name }) => {
      await createApp(backend.send, benchApp(namespace, name));
      run.tracker.applied(namespace, name, performance.now());
    });
    return performance.now() - sentAt;
  };

  const timeoutMs = settings.timeoutSeconds * 1000;
  const baseline: PhaseResult[] = [];
  for (let index = 1; index <= settings.baselineApps; index++) {
    const app = { namespace: baselineNamespace, name: `alone-${index}` };
    progress(`baseline: app ${index} of ${settings.baselineApps}, alone…`);
    const result = await run.phase([app], timeoutMs, () => createApps([app], 1));
    if (!result.complete)
      throw new Error(`${app.name} did not become Ready within ${settings.timeoutSeconds} s`);
    baseline.push(result);
  }
  const alone = mergeBaseline(baseline);

  const apps = Array.from({ length: settings.apps }, (_, index) => ({
    namespace: loadNamespaces[index % loadNamespaces.length] as string,
    name: `app-${String(index + 1).padStart(4, '0')}`,
  }));
  progress(`load: ${settings.apps} apps at once, ${settings.parallelCreates} creates in flight…`);
  const load = await run.phase(apps, timeoutMs, () => createApps(apps, settings.parallelCreates));

  let steadyWrites: [string, number][] | undefined;
  let drift: DriftResult | undefined;
  if (load.complete) {
    progress(`steady state: counting writes for ${STEADY_SECONDS} s…`);
    const before = await run.writes.counts();
    await sleep(STEADY_SECONDS * 1000);
    steadyWrites = written(before, await run.writes.counts());
    const drifted = apps.filter(
      (_, index) => index % Math.max(1, Math.floor(apps.length / settings.driftEdits)) === 0,
    );
    progress(`drift: ${drifted.length} Deployments changed by hand, one at a time…`);
    drift = await measureDriftHeal(backend, drifted.slice(0, settings.driftEdits), DRIFT_TIMEOUT_MS);
  }
  sampler.stop();
  if (settings.cpuProfileDirectory)
    notes.push(`the operator's CPU profile is written to ${settings.cpuProfileDirectory} when it exits.`);

  const context: OperatorBenchContext = {
    backend: BACKENDS[settings.backend].describe,
    writesCounted: run.writes.counted,
    concurrency: settings.concurrency,
    namespaces: settings.namespaces,
    parallelCreates: settings.parallelCreates,
    createsMs: load.createsMs,
    steadyWrites,
    steadySeconds: STEADY_SECONDS,
    drift,
    sampledPeakRssBytes: sampler.sampledPeak,
    traffic: backend.fake?.traffic(),
    notes,
  };
  const markdown = renderMarkdown(alone, load, context);
  process.stdout.write(markdown);
  await writeResultFiles(
    BACKENDS[settings.backend].results,
    {
      generatedAt: new Date().toISOString(),
      node: process.version,
      settings,
      alone: { ...alone, writesPerApp: writesPerApp(alone) },
      baselineRuns: baseline,
      load: { ...load, writesPerApp: writesPerApp(load) },
      ...context,
      goals: judgeGoals(goalFigures(load, context)),
      rssSamples: sampler.samples,
    },
    markdown,
  );
  if (!load.complete) progress(`not every app became Ready within ${settings.timeoutSeconds} s`);
  if (steadyWrites?.length)
    progress('the operator kept writing after every app was Ready and it had settled');
  if (drift?.unhealed)
    progress(`${drift.unhealed} hand edits were not put back within ${DRIFT_TIMEOUT_MS / 1000} s`);
  return load.complete && steadyWrites?.length === 0 && drift?.unhealed === 0;
}

await runBench(main, cleanUp);
